/** @module screens/Unreachable: the first connection failed; the profile is safe in this browser. */
export function Unreachable({ username, message, onRetry }: { username: string; message: string; onRetry: () => void }) {
  return (
    <main className="center-screen">
      <div className="card" role="alert" aria-labelledby="unreachable-title">
        <div className="logo warn" aria-hidden="true">×</div>
        <h1 id="unreachable-title">Cannot reach the server</h1>
        <p>Sotto could not connect as {username}: {message}</p>
        <p>Your keys and messages are safe in this browser. Check your connection, then try again.</p>
        <button type="button" className="primary" onClick={onRetry} autoFocus>Try again</button>
      </div>
    </main>
  );
}
