'use strict'

// Reads the packed strings the native module returns (src/packed.rs describes the format): one
// string per result instead of one Node-API call per property.

/** A cursor over a packed string. */
class Reader {
  /** @param {string} packed */
  constructor(packed) {
    this.packed = packed
    this.at = 0
  }

  /** Returns whether every value was read. */
  done() {
    return this.at >= this.packed.length
  }

  /** Reads a value below 65,536. */
  unit() {
    return this.packed.charCodeAt(this.at++)
  }

  /** Reads a 32-bit unsigned number. */
  number() {
    const low = this.packed.charCodeAt(this.at)
    const high = this.packed.charCodeAt(this.at + 1)
    this.at += 2
    return low + high * 0x10000
  }

  /**
   * Reads a string.
   *
   * NOTE: V8 may return a long slice as a view into the packed string, so a kept messageId can
   * keep the packed string of its whole batch alive (about 120 bytes per receipt of the batch).
   */
  text() {
    const length = this.number()
    const start = this.at
    this.at += length
    return this.packed.slice(start, this.at)
  }
}

module.exports = { Reader }
