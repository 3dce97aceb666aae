#!/usr/bin/env bash
# Regenerates the TypeScript types of the proto (committed, so builds need no generator).
# NodeNext ESM needs explicit .js suffixes on relative imports, which the generator omits.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf src/core/rpc/generated
npx proto-loader-gen-types pairdb/v1/pairdb.proto grpc/health/v1/health.proto \
  --keepCase --longs=String --enums=String --defaults --oneofs --grpcLib=@grpc/grpc-js \
  --outDir=src/core/rpc/generated -I src/core/rpc/proto >/dev/null 2>&1
find src/core/rpc/generated -name '*.ts' -exec sed -i -E "s#from '(\.{1,2}/[^']+)'#from '\1.js'#" {} +
