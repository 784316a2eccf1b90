// The portal stays a set of modules one can read: no file of web/ over 600 lines.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { WEB } from "./helpers.mjs";

const files = (folder) => readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
  entry.isDirectory() ? files(join(folder, entry.name)) : [join(folder, entry.name)]);

test("no file of the portal is over 600 lines", () => {
  const root = fileURLToPath(WEB);
  const long = files(root)
    .map((file) => [file.slice(root.length), readFileSync(file, "utf8").split("\n").length])
    .filter(([, lines]) => lines > 600);
  assert.deepEqual(long, []);
});
