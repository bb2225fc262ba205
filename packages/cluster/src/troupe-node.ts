#!/usr/bin/env node
import { main } from './node-main.js';

void main(process.argv.slice(2));
