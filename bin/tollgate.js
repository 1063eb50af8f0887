#!/usr/bin/env node
// The `tollgate` command, compiled into dist/ by the build (`npm install` and `npm pack` run it).
await import('../dist/cli/main.js');
