// Original file: src/core/rpc/proto/pairdb/v1/pairdb.proto


export interface ClusterStatusRequest {
}

export interface ClusterStatusRequest__Output {
}
