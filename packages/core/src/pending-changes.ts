/**
 * @module pending-changes
 * Makes group changes crash-safe on the client. A commit (or a group's
 * creation) is stored as *pending*, with the state to adopt and the exact
 * request, before it is submitted. If the device dies before it learns the
 * answer, the identical request (same message id, same bytes) is submitted
 * again on next use: the server's idempotency then answers for the original,
 * so the device adopts the new state exactly when the server accepted it.
 */
import { CommitSchema, CreateGroupSchema, FrameType, fromBinary } from '@sotto/protocol';
import type { EngineContext } from './context.js';
import { RemoteError } from './errors.js';
import { epochOf } from './mls/group.js';
import type { PendingChange, StoredConversation } from './ports.js';

/** Stores `change` as pending on `conversation`, submits it, and adopts its state once accepted. */
export async function submitChange(ctx: EngineContext, conversation: StoredConversation, change: PendingChange): Promise<StoredConversation> {
  const pending: StoredConversation = { ...conversation, pending: change };
  await ctx.store.apply({ conversations: [pending] });
  return settle(ctx, pending);
}

/**
 * Resolves a conversation's pending change, if any. A refusal (another
 * commit won the epoch) drops the change and keeps the earlier state;
 * a lost connection leaves it pending and rethrows.
 */
export async function settlePending(ctx: EngineContext, conversation: StoredConversation): Promise<StoredConversation> {
  if (!conversation.pending) return conversation;
  try {
    return await settle(ctx, conversation);
  } catch (error) {
    if (error instanceof RemoteError) return { ...conversation, pending: undefined };
    throw error;
  }
}

async function settle(ctx: EngineContext, conversation: StoredConversation): Promise<StoredConversation> {
  const change = conversation.pending!;
  try {
    if (change.kind === 'create') {
      await ctx.session.request(FrameType.CREATE_GROUP, fromBinary(CreateGroupSchema, change.request));
    } else {
      await ctx.session.request(FrameType.COMMIT, fromBinary(CommitSchema, change.request));
    }
  } catch (error) {
    if (error instanceof RemoteError) {
      await ctx.store.apply({ conversations: [{ ...conversation, pending: undefined }] });
    }
    throw error;
  }
  const settled: StoredConversation = {
    ...conversation,
    state: change.state,
    epoch: epochOf(ctx.mls.decodeState(change.state)),
    active: true,
    pending: undefined,
  };
  await ctx.store.apply({ conversations: [settled] });
  return settled;
}
