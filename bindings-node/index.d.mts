// Type definitions of the ES module entry point: the same exports as the CommonJS one, plus the
// whole module as the default export.
import * as clearline from './index.js'

export * from './index.js'
export default clearline
