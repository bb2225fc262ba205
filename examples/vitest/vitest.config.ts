import troupe from '@troupe/transformer/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({ plugins: [troupe()] });
