#!/usr/bin/env node
// The `sotto` command as npm links it. npm links a workspace's bins when it installs, before
// `prepare` builds dist/: a bin pointing into dist/ would not exist yet and no link would be
// made. This file is in the repository, so the link always is; it runs the built CLI.
import '../dist/bin.js';
