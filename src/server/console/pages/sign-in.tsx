/**
 * @module
 * The sign-in form (the management key; never put in a URL: it is posted),
 * and the page for a console that cannot be used from here, with why.
 */

export function signInPage(props: { next: string; error?: string }) {
  return (
    <div class="sign-in">
      <section class="card" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in</h1>
        <p class="muted">
          Enter this server's management key (<code>management-key</code> in its config, or{" "}
          <code>SUBGATE_MANAGEMENT_KEY</code>).
        </p>
        {props.error && <p class="problem" role="alert" id="sign-in-error">{props.error}</p>}
        <form method="post" action="/ui/login">
          <input type="hidden" name="next" value={props.next} />
          <div class="field">
            <label for="management-key">Management key</label>
            <input
              type="password"
              id="management-key"
              name="key"
              required
              autocomplete="current-password"
              autofocus
              aria-invalid={props.error ? "true" : undefined}
              aria-describedby={props.error ? "sign-in-error" : undefined}
            />
          </div>
          <label class="checkbox">
            <input type="checkbox" name="remember" value="1" />{" "}
            Keep me signed in on this browser for 30 days
          </label>
          <button type="submit" class="btn primary">Sign in</button>
        </form>
      </section>
    </div>
  );
}

export function refusedPage(props: { title: string; message: string }) {
  return (
    <div class="sign-in">
      <section class="card" aria-labelledby="refused-title">
        <h1 id="refused-title">{props.title}</h1>
        <p class="problem" role="alert">{props.message}</p>
        <p>
          <a href="/ui/">Back to the console</a>
        </p>
      </section>
    </div>
  );
}
