#!/usr/bin/env node
// The novaflow CLI is TypeScript; tsx compiles it on the fly so there is no build step to forget.
'use strict';
require('tsx/cjs');
require('../cli/main.ts').main();
