// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface StatsRequest {
}

export interface StatsRequest__Output {
}
