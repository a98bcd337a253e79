/**
 * @module screens/ProfileCard
 * Settings -> Profile: the member's display name and avatar, shared end to end with their
 * contacts only. A chosen picture becomes an avatar through the image sandbox (`makeAvatar`);
 * the preview is drawn from the sandbox's bitmap, like every avatar.
 */
import { useRef, useState, type FormEvent } from 'react';
import { LIMITS } from '@sotto/protocol';
import { useAction, useEngine } from '../app/hooks.js';
import { useProfiles } from '../app/profiles.js';
import { Avatar } from '../components/Avatar.js';
import { makeAvatar } from '../media/avatar-image.js';
import { ImageRefused } from '../media/image-sandbox.js';

/** A change to the avatar not saved yet: new bytes, or null to remove it. */
type AvatarChange = Uint8Array | null | undefined;

export function ProfileCard() {
  const { client } = useEngine();
  const me = client.identity.username;
  const mine = useProfiles([me]).get(me);
  const [name, setName] = useState<string | undefined>();
  const [avatarChange, setAvatarChange] = useState<AvatarChange>();
  const [pictureError, setPictureError] = useState<string | undefined>();
  const [preparing, setPreparing] = useState(false);
  const [saved, setSaved] = useState(false);
  const [run, error, busy] = useAction();
  const picker = useRef<HTMLInputElement>(null);

  // Until the member types, the field follows the stored name (another device may change it).
  const shownName = name ?? mine?.displayName ?? '';
  const shownAvatar = avatarChange === undefined ? mine?.avatar : avatarChange ?? undefined;
  const changed = (name !== undefined && name !== (mine?.displayName ?? '')) || avatarChange !== undefined;

  const choose = async (file: File | undefined) => {
    if (!file) return;
    setPictureError(undefined);
    setPreparing(true);
    try {
      setAvatarChange(await makeAvatar(new Uint8Array(await file.arrayBuffer())));
      setSaved(false);
    } catch (e) {
      setPictureError(e instanceof ImageRefused ? e.message : 'This picture could not be opened. Nothing of it was shown.');
    } finally {
      setPreparing(false);
      if (picker.current) picker.current.value = '';
    }
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const change = { displayName: shownName.trim(), ...(avatarChange !== undefined ? { avatar: avatarChange } : {}) };
    if (await run(() => client.profile.set(change))) {
      setName(undefined);
      setAvatarChange(undefined);
      setSaved(true);
    }
  };

  return (
    <form className="card form profile-card" aria-labelledby="profile-title" onSubmit={(e) => void save(e)}>
      <h3 id="profile-title">Profile</h3>
      <div className="profile-editor">
        <div className="avatar-actions">
          <Avatar username={me} displayName={shownName} avatar={shownAvatar} size={88} />
          <input ref={picker} type="file" accept="image/jpeg,image/png,image/webp" hidden onChange={(e) => void choose(e.target.files?.[0])} />
          <button type="button" className="secondary" disabled={preparing} onClick={() => picker.current?.click()}>
            {preparing ? 'Preparing…' : shownAvatar ? 'Change picture' : 'Choose a picture'}
          </button>
          {shownAvatar && <button type="button" className="danger subtle" onClick={() => { setAvatarChange(null); setSaved(false); }}>Remove picture</button>}
        </div>
        <div className="fields">
          <label htmlFor="display-name">Display name <span className="optional">({LIMITS.displayNameMaxChars - [...shownName].length} left)</span></label>
          <input id="display-name" maxLength={LIMITS.displayNameMaxChars} value={shownName} placeholder={me} onChange={(e) => { setName(e.target.value); setSaved(false); }} aria-describedby="profile-help" />
          <p id="profile-help" className="help">
            Your name and picture are shared only with your contacts, end to end encrypted: your server never sees them.
            Pictures are re-encoded into a small square first, so their location and camera details are removed.
          </p>
          {pictureError && <p className="error" role="alert">{pictureError}</p>}
          {error && <p className="error" role="alert">{error}</p>}
          {saved && !error && <p className="ok" role="status">Profile saved and shared with your contacts.</p>}
          <div className="row">
            <button type="submit" className="primary" disabled={busy || preparing || !changed}>Save profile</button>
          </div>
        </div>
      </div>
    </form>
  );
}
