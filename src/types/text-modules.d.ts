// Files imported `with { type: 'text' }` are embedded in the compiled binary as strings.
declare module '*.sql' {
  const text: string;
  export default text;
}
declare module '*.css' {
  const text: string;
  export default text;
}
declare module '*/templates/form_post.js' {
  const text: string;
  export default text;
}
