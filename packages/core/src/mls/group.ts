/**
 * @module mls/group
 * The engine's only doorway to ts-mls: creating, joining, committing,
 * encrypting and decrypting, with state as bytes in and bytes out.
 *
 * ts-mls (1.6.4) builds every new state from copies and never changes the
 * state it is given: `mls/state-cache.test.ts` checks this for each operation
 * here, and the engine relies on it to keep decoded states between messages.
 * It only reports the secrets an operation used up (`consumed`), which this
 * module does not zero. Callers still continue from the returned state.
 */
import {
  mlsExporter,
  createApplicationMessage,
  createCommit,
  createGroup,
  createProposal,
  decodeGroupState,
  decodeMlsMessage,
  defaultCapabilities,
  defaultLifetime,
  emptyPskIndex,
  encodeGroupState,
  encodeMlsMessage,
  generateKeyPackageWithKey,
  joinGroup,
  processPrivateMessage,
  type CiphersuiteImpl,
  type ClientConfig,
  type ClientState,
  type KeyPackage,
  type MLSMessage,
  type PrivateKeyPackage,
  type Proposal,
  type Extension,
  type IncomingMessageCallback,
  type ProposalWithSender,
} from 'ts-mls';
import { decodeGroupAdmins, describeErrorCode, encodeGroupAdmins, ErrorCode, GROUP_ADMINS_EXTENSION } from '@sotto/protocol';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { decryptSenderData } from 'ts-mls/privateMessage.js';
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js';
import { ClientError } from '../errors.js';
import { toHex } from '../bytes.js';
import { credentialFor, deviceOfCredential, type DeviceName } from './credentials.js';
import { judgeCommit, type AdminChange, type CommitView } from '../group-admins.js';

/** Draft MLS extensions' last_resort key package extension (RFC 9420 has none). */
export const LAST_RESORT_EXTENSION = 0x000a;

export interface SigningKey {
  readonly publicKey: Uint8Array;
  readonly signKey: Uint8Array;
}

export interface Member extends DeviceName {
  readonly leafIndex: number;
  readonly signatureKey: Uint8Array;
}

export interface GeneratedKeyPackage {
  readonly ref: string;
  readonly publicPackage: KeyPackage;
  readonly encoded: Uint8Array;
  readonly privatePackage: PrivateKeyPackage;
  readonly lastResort: boolean;
}

/** Validates a member's credential and key; injected so the engine can check pinned device keys. */
export type CredentialCheck = (device: DeviceName, signatureKey: Uint8Array) => Promise<boolean>;

export class MlsContext {
  readonly config: ClientConfig;

  constructor(
    readonly impl: CiphersuiteImpl,
    check: CredentialCheck,
  ) {
    this.config = {
      ...defaultClientConfig,
      // Resent messages may arrive late after a reconnect; keep skipped keys long enough.
      keyRetentionConfig: { retainKeysForGenerations: 1000, retainKeysForEpochs: 4, maximumForwardRatchetSteps: 5000 },
      authService: {
        async validateCredential(credential, signatureKey) {
          const device = deviceOfCredential(credential);
          return device !== undefined && (await check(device, signatureKey));
        },
      },
    };
  }

  // ---- key packages ----

  async generateKeyPackage(self: DeviceName, key: SigningKey, lastResort = false): Promise<GeneratedKeyPackage> {
    const capabilities = defaultCapabilities();
    // GROUP_ADMINS_EXTENSION: a key package can only be added to a group whose context carries
    // an extension the package lists (RFC 9420 §12.1.1), and named groups carry the admins.
    capabilities.extensions = [...capabilities.extensions, LAST_RESORT_EXTENSION, GROUP_ADMINS_EXTENSION];
    const extensions = lastResort ? [{ extensionType: LAST_RESORT_EXTENSION, extensionData: new Uint8Array() }] : [];
    const generated = await generateKeyPackageWithKey(credentialFor(self), capabilities, defaultLifetime, extensions, key, this.impl);
    const ref = toHex(await makeKeyPackageRef(generated.publicPackage, this.impl.hash));
    const encoded = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: generated.publicPackage });
    return { ref, publicPackage: generated.publicPackage, encoded, privatePackage: generated.privatePackage, lastResort };
  }

  /** Decodes a peer's key package, checking that it names `expected` and is signed by `identityKey`. */
  decodeKeyPackage(bytes: Uint8Array, expected: DeviceName, identityKey: Uint8Array): KeyPackage {
    const message = decodeMessage(bytes);
    if (message.wireformat !== 'mls_key_package') throw new ClientError('CRYPTO', 'Expected a key package.');
    const keyPackage = message.keyPackage;
    const device = deviceOfCredential(keyPackage.leafNode.credential);
    if (!device || device.username !== expected.username || device.deviceId !== expected.deviceId) {
      throw new ClientError('CRYPTO', 'Key package names another device.');
    }
    if (!sameBytes(keyPackage.leafNode.signaturePublicKey, identityKey)) {
      throw new ClientError('CRYPTO', 'Key package is not signed by the device identity key.');
    }
    return keyPackage;
  }

  // ---- groups ----

  /** Creates a group and adds `members` in its first commit; `admins`: a named group's first admins (its creator). */
  async createGroup(groupId: Uint8Array, self: DeviceName, key: SigningKey, members: KeyPackage[], admins?: readonly string[]): Promise<{ state: ClientState; welcome: Uint8Array | undefined }> {
    const own = await this.generateKeyPackage(self, key);
    const extensions = admins ? [adminsExtension(admins)] : [];
    let state = await createGroup(groupId, own.publicPackage, own.privatePackage, extensions, this.impl, this.config);
    if (members.length === 0) return { state, welcome: undefined };
    const result = await createCommit(
      { state, cipherSuite: this.impl },
      { extraProposals: members.map((keyPackage) => ({ proposalType: 'add', add: { keyPackage } }) as Proposal), ratchetTreeExtension: true },
    );
    state = result.newState;
    const welcome = result.welcome ? encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome }) : undefined;
    return { state, welcome };
  }

  /**
   * Commits adds, removes and any pending proposals, or (alone) a new list of admins. Refused
   * with NOT_GROUP_ADMIN, before anything is built, when the members would reject it (see
   * group-admins.ts). `admins` in the result: the list it sets, if it sets one.
   */
  async commit(
    state: ClientState,
    change: { add?: KeyPackage[]; removeLeaves?: number[]; admins?: readonly string[] },
  ): Promise<{ state: ClientState; commit: Uint8Array; welcome: Uint8Array | undefined; admins: string[] | undefined }> {
    const proposals: Proposal[] = [
      ...(change.add ?? []).map((keyPackage) => ({ proposalType: 'add', add: { keyPackage } }) as Proposal),
      ...(change.removeLeaves ?? []).map((removed) => ({ proposalType: 'remove', remove: { removed } }) as Proposal),
    ];
    const pending = Object.values(state.unappliedProposals);
    const admins = change.admins ? [...new Set(change.admins)].sort() : undefined;
    if (admins) {
      // ts-mls 1.6.4 cannot make a commit with an update path and a new group context that its
      // receivers can read (see group-admins.ts): a new list goes in a commit of its own.
      if (proposals.length > 0 || pending.length > 0) throw new ClientError('INVALID_INPUT', 'A change of admins is committed on its own.');
      proposals.push(adminsProposal(state, admins));
    }
    const own = state.privatePath.leafIndex;
    const verdict = judgeCommit(commitView(state, own, [...pending, ...proposals.map((proposal) => ({ proposal, senderLeafIndex: own }))]));
    if (!verdict.accept) throw new ClientError('NOT_GROUP_ADMIN', describeErrorCode(ErrorCode.NOT_GROUP_ADMIN));
    const result = await createCommit({ state, cipherSuite: this.impl }, { extraProposals: proposals, ratchetTreeExtension: true });
    return {
      state: result.newState,
      commit: encodeMlsMessage(result.commit),
      welcome: result.welcome ? encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome }) : undefined,
      admins,
    };
  }

  /** A proposal to remove this device, for another member to commit. */
  async selfRemoveProposal(state: ClientState): Promise<Uint8Array> {
    const result = await createProposal(state, false, { proposalType: 'remove', remove: { removed: state.privatePath.leafIndex } } as Proposal, this.impl);
    return encodeMlsMessage(result.message);
  }

  /** Joins from a Welcome; `findKeyPackage` returns our stored package for a KeyPackageRef (hex). */
  async join(
    welcomeBytes: Uint8Array,
    findKeyPackage: (ref: string) => Promise<{ publicPackage: KeyPackage; privatePackage: PrivateKeyPackage } | undefined>,
  ): Promise<{ state: ClientState; usedRef: string }> {
    const message = decodeMessage(welcomeBytes);
    if (message.wireformat !== 'mls_welcome') throw new ClientError('CRYPTO', 'Expected a Welcome.');
    for (const secret of message.welcome.secrets) {
      const ref = toHex(secret.newMember);
      const found = await findKeyPackage(ref);
      if (!found) continue;
      const state = await joinGroup(message.welcome, found.publicPackage, found.privatePackage, emptyPskIndex, this.impl, undefined, undefined, this.config);
      return { state, usedRef: ref };
    }
    throw new ClientError('CRYPTO', 'The Welcome is for none of this device\'s key packages.');
  }

  async encrypt(state: ClientState, plaintext: Uint8Array): Promise<{ state: ClientState; message: Uint8Array }> {
    const result = await createApplicationMessage(state, plaintext, this.impl);
    const message = encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: result.privateMessage });
    return { state: result.newState, message };
  }

  /**
   * Processes one incoming group message. The sender is read from the
   * encrypted sender data before processing, so the caller can check it
   * against the device the server says sent it.
   */
  async process(state: ClientState, bytes: Uint8Array): Promise<Incoming> {
    const message = decodeMessage(bytes);
    if (message.wireformat !== 'mls_private_message') throw new ClientError('CRYPTO', 'Expected an encrypted group message.');
    const pm = message.privateMessage;
    if (!sameBytes(pm.groupId, state.groupContext.groupId)) throw new ClientError('CRYPTO', 'Message is for another group.');
    if (pm.epoch > state.groupContext.epoch) throw new ClientError('CRYPTO', `Message from future epoch ${pm.epoch}.`);
    const sender = await this.peekSender(state, pm);
    // The admin rule, judged on the group as it was before the commit (ts-mls calls this after
    // checking the signature and resolving the proposals, before changing anything).
    let rejected: string | undefined;
    const judge: IncomingMessageCallback = (incoming) => {
      // In a group with admins, a proposal on its own is only ever a member leaving (or an
      // update): any other would wait for a committer that might not be allowed to commit it.
      if (incoming.kind === 'proposal') return standaloneProposalAllowed(state, incoming.proposal) ? 'accept' : 'reject';
      const verdict = judgeCommit(commitView(state, incoming.senderLeafIndex, incoming.proposals));
      if (verdict.accept) return 'accept';
      rejected = verdict.reason;
      return 'reject';
    };
    const result = await processPrivateMessage(state, pm, emptyPskIndex, this.impl, judge);
    if (result.kind === 'applicationMessage') {
      return { kind: 'application', state: result.newState, plaintext: result.message, sender };
    }
    return {
      kind: 'handshake',
      state: result.newState,
      sender,
      contentType: pm.contentType,
      removedSelf: result.newState.groupActiveState.kind === 'removedFromGroup',
      ...(rejected !== undefined ? { rejected } : {}),
    };
  }

  private async peekSender(state: ClientState, pm: Extract<MLSMessage, { wireformat: 'mls_private_message' }>['privateMessage']): Promise<Member> {
    const current = pm.epoch === state.groupContext.epoch;
    const historical = current ? undefined : state.historicalReceiverData.get(pm.epoch);
    const secret = current ? state.keySchedule.senderDataSecret : historical?.senderDataSecret;
    const tree = current ? state.ratchetTree : historical?.ratchetTree;
    if (!secret || !tree) throw new ClientError('CRYPTO', `No keys for epoch ${pm.epoch}.`);
    const senderData = await decryptSenderData(pm, secret, this.impl);
    if (!senderData) throw new ClientError('CRYPTO', 'Sender data does not decrypt.');
    const node = tree[senderData.leafIndex * 2];
    if (!node || node.nodeType !== 'leaf') throw new ClientError('CRYPTO', 'Sender is not a member.');
    const device = deviceOfCredential(node.leaf.credential);
    if (!device) throw new ClientError('CRYPTO', 'Sender credential is malformed.');
    // A literal, not `{ ...device, ... }`: V8 (Node 20) builds a spread followed by more properties
    // on a slow path, ~2 us against ~10 ns, and this runs for every message received.
    return { username: device.username, deviceId: device.deviceId, leafIndex: senderData.leafIndex, signatureKey: node.leaf.signaturePublicKey };
  }

  // ---- state ----

  encodeState(state: ClientState): Uint8Array {
    return encodeGroupState(state);
  }

  /**
   * The group's MLS exporter in the state's epoch (RFC 9420 section 8.5): group calls' SFrame keys
   * come from it, so only that epoch's members can derive them.
   */
  exporterOf(state: ClientState): (label: string, context: Uint8Array, length: number) => Promise<Uint8Array> {
    const secret = state.keySchedule.exporterSecret;
    return (label, context, length) => mlsExporter(secret, label, context, length, this.impl);
  }

  decodeState(bytes: Uint8Array): ClientState {
    const decoded = decodeGroupState(bytes, 0);
    if (!decoded) throw new ClientError('CRYPTO', 'Stored group state is corrupt.');
    return { ...decoded[0], clientConfig: this.config };
  }
}

export type Incoming =
  | { kind: 'application'; state: ClientState; plaintext: Uint8Array; sender: Member }
  /** `rejected`: a commit the admin rule refused (why); `state` is then the state before it, unchanged. */
  | { kind: 'handshake'; state: ClientState; sender: Member; contentType: string; removedSelf: boolean; rejected?: string };

/** A named group's admins (account names, sorted), or undefined for a group without admins. */
export function adminsOf(state: ClientState): string[] | undefined {
  const found = state.groupContext.extensions.find((e) => e.extensionType === GROUP_ADMINS_EXTENSION);
  if (!found) return undefined;
  try {
    return decodeGroupAdmins(found.extensionData);
  } catch {
    // Only a creator that broke the rules writes a bad list: such a group has no admins.
    return undefined;
  }
}

function standaloneProposalAllowed(state: ClientState, { proposal, senderLeafIndex }: ProposalWithSender): boolean {
  if (adminsOf(state) === undefined) return true;
  if (proposal.proposalType === 'update') return true;
  return proposal.proposalType === 'remove' && proposal.remove.removed === senderLeafIndex;
}

function adminsExtension(admins: readonly string[]): Extension {
  return { extensionType: GROUP_ADMINS_EXTENSION, extensionData: encodeGroupAdmins(admins) };
}

/** A proposal replacing the admins, keeping any other group context extension as it is. */
function adminsProposal(state: ClientState, admins: readonly string[]): Proposal {
  const others = state.groupContext.extensions.filter((e) => e.extensionType !== GROUP_ADMINS_EXTENSION);
  return { proposalType: 'group_context_extensions', groupContextExtensions: { extensions: [...others, adminsExtension(admins)] } } as Proposal;
}

/** What a commit of `proposals` by `committerLeaf` does, as group-admins.ts judges it. */
function commitView(state: ClientState, committerLeaf: number | undefined, proposals: readonly ProposalWithSender[]): CommitView {
  const accountAt = (leaf: number | undefined): string => {
    const node = leaf === undefined ? undefined : state.ratchetTree[leaf * 2];
    return node?.nodeType === 'leaf' ? (deviceOfCredential(node.leaf.credential)?.username ?? '') : '';
  };
  const changes: AdminChange[] = [];
  const removedLeaves = new Set<number>();
  const added: string[] = [];
  for (const { proposal, senderLeafIndex: stored } of proposals) {
    // ts-mls 1.6.4 stores a pending proposal's sender with an optional encoder that takes leaf 0
    // for "none", so after a state is saved and loaded, a proposal of leaf 0 (the group's creator)
    // has no sender. Sotto never processes external proposals (only private messages, which are
    // always a member's), so a missing sender here is always leaf 0.
    const senderLeafIndex = stored ?? 0;
    switch (proposal.proposalType) {
      case 'add': {
        const account = deviceOfCredential(proposal.add.keyPackage.leafNode.credential)?.username ?? '';
        added.push(account);
        changes.push({ kind: 'add', account });
        break;
      }
      case 'remove':
        removedLeaves.add(proposal.remove.removed);
        changes.push({ kind: 'remove', account: accountAt(proposal.remove.removed), selfRemoval: senderLeafIndex === proposal.remove.removed });
        break;
      case 'group_context_extensions': {
        const found = proposal.groupContextExtensions.extensions.find((e) => e.extensionType === GROUP_ADMINS_EXTENSION);
        let admins: string[] | undefined;
        try {
          admins = found ? decodeGroupAdmins(found.extensionData) : undefined;
        } catch {
          admins = undefined;
        }
        changes.push({ kind: 'admins', admins });
        break;
      }
      default:
        // Updates, PSKs and the like change nobody's membership nor the admins.
        break;
    }
  }
  const accountsAfter = [...membersOf(state).filter((m) => !removedLeaves.has(m.leafIndex)).map((m) => m.username), ...added];
  return { admins: adminsOf(state), committer: accountAt(committerLeaf), accountsAfter, changes };
}

/** Members of the group, by leaf. */
export function membersOf(state: ClientState): Member[] {
  const members: Member[] = [];
  state.ratchetTree.forEach((node, index) => {
    if (index % 2 !== 0 || !node || node.nodeType !== 'leaf') return;
    const device = deviceOfCredential(node.leaf.credential);
    if (device) members.push({ ...device, leafIndex: index / 2, signatureKey: node.leaf.signaturePublicKey });
  });
  return members;
}

export function epochOf(state: ClientState): bigint {
  return state.groupContext.epoch;
}

/** Decodes an MLSMessage, refusing trailing bytes. Sizes were bounded by the frame limit. */
export function decodeMessage(bytes: Uint8Array): MLSMessage {
  let decoded: [MLSMessage, number] | undefined;
  try {
    decoded = decodeMlsMessage(bytes, 0);
  } catch (cause) {
    throw new ClientError('CRYPTO', 'MLS message does not decode.', { cause });
  }
  if (!decoded || decoded[1] !== bytes.byteLength) throw new ClientError('CRYPTO', 'MLS message does not decode.');
  return decoded[0];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}
