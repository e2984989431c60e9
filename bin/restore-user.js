#!/usr/bin/env node
// `npx restore-user …` from a checkout or an installed package: runs the TypeScript CLI through tsx.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
