// Compile-time checks of the package's typings for a CommonJS consumer. Never run.

import clearline = require('clearline')

const client: clearline.Client = new clearline.Client({ apiKey: 'test_key_not_real_0000' })
const report: clearline.DeliveryReport = clearline.parseCallback('{}')

export = { client, report }
