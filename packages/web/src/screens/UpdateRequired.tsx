/** @module screens/UpdateRequired: the server refuses this version; nothing else can work until it is updated. */
import { SOFTWARE_VERSION } from '@sotto/protocol';

export function UpdateRequired({ message }: { message: string }) {
  return (
    <main className="center-screen">
      <div className="card" role="alert" aria-labelledby="update-title">
        <div className="logo warn" aria-hidden="true">!</div>
        <h1 id="update-title">Update required</h1>
        <p>{message}</p>
        <p>
          Servers raise the minimum version when an older one has a security problem. Reload the page to get the
          version the server now serves; if this screen stays, ask the server’s operator.
        </p>
        <button type="button" className="primary" onClick={() => location.reload()} autoFocus>Reload</button>
        <p className="help">This app: version {SOFTWARE_VERSION}.</p>
      </div>
    </main>
  );
}
