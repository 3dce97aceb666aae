// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface HealthRequest {
}

export interface HealthRequest__Output {
}
