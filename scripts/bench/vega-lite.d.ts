// vega-lite publishes its types only under package.json "exports", which this project's
// moduleResolution ("node", kept for the CommonJS build) does not read; the same files by path do
// resolve. Types only: at run time tsx and vitest import the package through its exports.
declare module 'vega-lite' {
  export * from 'vega-lite/build/index';
}
