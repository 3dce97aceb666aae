// Copies the .proto files next to the compiled RPC code: proto-loader reads them at run time.
import { cpSync } from 'node:fs';
cpSync(new URL('../src/core/rpc/proto', import.meta.url), new URL('../dist/core/rpc/proto', import.meta.url), {
  recursive: true,
});
