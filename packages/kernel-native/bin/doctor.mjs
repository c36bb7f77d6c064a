#!/usr/bin/env node
// Prints what the kernel wall has to work with on this machine (see src/doctor.ts).
import { formatDoctor } from '../dist/src/doctor.js';

console.log(formatDoctor());
