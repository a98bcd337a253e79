/**
 * @module components/AdvisoryBanner
 * The operator's security advisories that affect this version, verified by the engine against
 * the operator key it pinned. What to do is said in plain words.
 */
import { useEffect, useState } from 'react';
import { SOFTWARE_VERSION } from '@sotto/protocol';
import type { VerifiedAdvisory } from '@sotto/core';
import { useEngine } from '../app/hooks.js';

export function useAdvisories(): VerifiedAdvisory[] {
  const { client } = useEngine();
  const [list, setList] = useState<VerifiedAdvisory[]>(() => client.advisories.list());
  useEffect(() => {
    setList(client.advisories.list());
    return client.advisories.didReceive.event(() => setList(client.advisories.list()));
  }, [client]);
  return list;
}

export function AdvisoryBanner() {
  const affecting = useAdvisories().filter((a) => a.affectsThisVersion);
  if (affecting.length === 0) return null;
  return (
    <div className="banner advisory" role="alert" aria-label="Security advisories">
      {affecting.map((a) => (
        <div key={a.id}>
          <strong>Security advisory: {a.title}.</strong> {a.text}{' '}
          {a.fixedVersion
            ? <>This app is {SOFTWARE_VERSION}; you need {a.fixedVersion} or newer. <button type="button" className="link" onClick={() => location.reload()}>Reload to update</button></>
            : null}
        </div>
      ))}
    </div>
  );
}
