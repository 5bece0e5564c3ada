// Bundled in place of the whatwg-url package. Its one importer, node-fetch 2 (client-node 1.x's
// HTTP client), takes `require('url').URL || require('whatwg-url').URL`, so on any Node with a
// built-in URL (all of them since 10) whatwg-url is loaded and never used. Loading it costs a
// 260 KB mapping table (tr46) and the deprecated punycode module on every start.
module.exports = {URL: globalThis.URL}
