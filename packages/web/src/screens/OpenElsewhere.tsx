/**
 * @module screens/OpenElsewhere
 * A device has one connection; another tab or window of this browser took it over. Taking it
 * back is the member's choice, so two tabs never fight over it.
 */
export function OpenElsewhere({ onUseHere }: { onUseHere: () => void }) {
  return (
    <main className="center-screen">
      <div className="card" role="alert" aria-labelledby="elsewhere-title">
        <div className="logo" aria-hidden="true">S</div>
        <h1 id="elsewhere-title">Sotto is open in another window</h1>
        <p>This browser’s account can be connected in one tab at a time. Close the other one, or use Sotto here instead.</p>
        <button type="button" className="primary" onClick={onUseHere} autoFocus>Use here</button>
      </div>
    </main>
  );
}
