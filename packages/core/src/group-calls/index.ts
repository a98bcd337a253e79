/** @module group-calls: joining a group's call through the SFU, with SFrame keys from the group's MLS exporter. */
export {
  GroupCallKeyring, memberKey, GROUP_CALL_SFRAME_SUITE, GROUP_CALL_KID_LAYOUT, GROUP_CALL_CONTEXT_BITS,
  type GroupCallEpoch, type GroupCallEpochKeys, type GroupCallMember, type OpenedGroupCallFrame,
} from './group-call-keyring.js';
export type { GroupCallAdmission, GroupCallMediaOptions, GroupCallFrames, GroupCallMediaHandlers, GroupCallMediaSession, GroupCallMediaFactory } from './group-call-media.js';
export {
  GroupCalls, GroupCallEvents,
  type GroupCallGroupActions, type GroupCallsConfig, type JoinGroupCallOptions, type GroupCallEndReason, type GroupCallState, type RefusedFrameCounts,
} from './group-calls.js';
export { GROUP_CALL_NOTICE_TTL_MS, groupCallNoticeText, participantsFrom, type GroupCallNoticeKind } from './group-call-notices.js';
export { JanusSession, JanusHandle, JanusError, MAX_JANUS_MESSAGE_CHARS, type JanusSocket, type JanusSocketEvents, type JanusConnect, type JanusJsep, type VideoRoomAnswer } from './janus-session.js';
export { clearPrefixLength, type GroupCallMediaKind } from './media-frame.js';
export { FeedSenders, type FeedSender } from './feed-senders.js';
export { HeldFrames, MAX_HELD_FRAMES, MAX_HELD_VIDEO_FRAMES, HOLD_MS } from './held-frames.js';
export { sfuDescription, type SfuDescription } from './sfu-description.js';
export { requireVideoRoom, checkSfuDescription, publisherFeeds, departedFeeds, sfuCandidatePolicy, type PublishedFeed } from './sfu-room.js';
