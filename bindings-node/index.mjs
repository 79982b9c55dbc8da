// ES module entry point: the same objects as the CommonJS entry point, so `instanceof` and
// module state agree whichever way the package is loaded.
import clearline from './index.js'

export const { Client, ClearLineError, parseCallback, Sandbox, SandboxError } = clearline
export default clearline
