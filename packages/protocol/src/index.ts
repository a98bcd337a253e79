/**
 * @module @sotto/protocol
 * The Sotto wire protocol: schema (generated from proto/sotto/v1/wire.proto),
 * frame codec, limits, error codes and versions. Pure: no I/O.
 */
export * from './gen/sotto/v1/wire_pb.js';
export * from './errors.js';
export * from './versions.js';
export * from './limits.js';
export * from './frame.js';
export * from './content.js';
export * from './auth.js';
export { create, toBinary, fromBinary } from '@bufbuild/protobuf';
export type { MessageInitShape } from '@bufbuild/protobuf';
export * from './advisory.js';
export * from './threat-notice.js';
export * from './device-list.js';
export * from './attachment.js';
export * from './group-admins.js';
