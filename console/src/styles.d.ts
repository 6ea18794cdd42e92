// The stylesheet is bundled by esbuild (console/build.ts), which emits it beside the script; the
// import only tells esbuild to include it, so it has no value for TypeScript to check.
declare module '*.css';
