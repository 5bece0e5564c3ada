#!/usr/bin/env node
// The Node.js check comes first, in syntax any Node parses, before anything else is loaded: on an
// older Node, one line saying what is needed, not a syntax error or a stack trace from a
// dependency. package.json's engines says the same (test/unit/node-version.test.ts checks both).
'use strict'
var required = '^22.12.0 || >=24'
var version = process.versions.node.split('.').map(Number)
if (!((version[0] === 22 && version[1] >= 12) || version[0] >= 24)) {
  process.stderr.write(
    'elife-k8s: needs Node.js ' +
      required +
      ', found ' +
      process.version +
      ' (' +
      process.execPath +
      '); ' +
      'in a checkout after `npm ci`, `npx elife-k8s` runs it on the Node.js npm installed there\n',
  )
  process.exit(2)
}
require('./main.js')
