"""Livepeer orchestrator wire protocol: protobuf messages, gRPC client, headers, signatures."""
