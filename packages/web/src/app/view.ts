/** @module app/view: what the main pane shows. A direct chat is one per peer, whatever its MLS groups. */
export type ChatRef =
  | { readonly kind: 'direct'; readonly peer: string }
  | { readonly kind: 'group'; readonly groupId: string; readonly name: string };

export type View =
  | { readonly kind: 'chats' }
  | { readonly kind: 'chat'; readonly chat: ChatRef }
  | { readonly kind: 'group-info'; readonly groupId: string; readonly name: string }
  | { readonly kind: 'verify'; readonly peer: string }
  | { readonly kind: 'new-group' }
  | { readonly kind: 'contacts' }
  | { readonly kind: 'calls' }
  | { readonly kind: 'settings' };

export type Navigate = (view: View) => void;
