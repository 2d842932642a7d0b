// Copies non-TypeScript runtime files (the Lua scripts) next to the compiled output.
import { cpSync } from 'node:fs';

cpSync('src/store/redis/scripts', 'dist/store/redis/scripts', { recursive: true });
