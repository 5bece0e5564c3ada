#!/usr/bin/env -S node --import tsx
'use strict'
// Runs the TypeScript sources directly (no build), for development: ./bin/dev.js images -A
const path = require('node:path')

require('@oclif/core').execute({development: true, dir: path.join(__dirname, '..')})
