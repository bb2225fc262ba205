#!/usr/bin/env node
import { main } from '../dist/node-main.js';

main(process.argv.slice(2));
