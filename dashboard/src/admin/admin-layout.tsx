/**
 * The frame of every signed-in view: a skip link, the header with the nav (the active link carries
 * aria-current) and "Sign out", and the main region. After a client-side navigation focus moves to
 * the new view's h1, so keyboard and screen-reader users land on what changed.
 */
import { type ReactNode, useEffect, useRef } from 'react';
import { Link, useLocation } from 'wouter';
import { useAdminSession } from './admin-session';

const sections = [
  { href: '/customers', label: 'Customers' },
  { href: '/invoices', label: 'Invoices' },
  { href: '/revenue', label: 'Revenue' },
  { href: '/events', label: 'Webhook events' },
];

export function AdminLayout(props: { children: ReactNode }) {
  const { signOut } = useAdminSession();
  const [location] = useLocation();
  const first = useRef(true);

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on each navigation, by design
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const frame = requestAnimationFrame(() => {
      document.querySelector<HTMLElement>('#main h1')?.focus();
    });
    return () => cancelAnimationFrame(frame);
  }, [location]);

  return (
    <>
      <a className="tg-skip-link" href="#main">
        Skip to content
      </a>
      <header className="tg-admin-header">
        <div className="tg-admin-header-inner">
          <span className="tg-admin-brand">Tollgate admin</span>
          <nav aria-label="Admin sections">
            <ul className="tg-admin-nav">
              {sections.map((section) => {
                const active = location === section.href || location.startsWith(`${section.href}/`);
                return (
                  <li key={section.href}>
                    <Link
                      href={section.href}
                      aria-current={active ? 'page' : undefined}
                      data-testid={`nav-${section.href.slice(1)}`}
                    >
                      {section.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
          <button
            type="button"
            className="tg-button"
            data-variant="secondary"
            onClick={() => signOut()}
            data-testid="sign-out"
          >
            Sign out
          </button>
        </div>
      </header>
      <main className="tg-page tg-stack" id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

/** The view's one h1 (focusable for the focus move above) and the tab title. */
export function ViewTitle(props: { children: string; detail?: ReactNode }) {
  useEffect(() => {
    document.title = `${props.children} · Tollgate admin`;
  }, [props.children]);
  return (
    <div className="tg-spread">
      <h1 tabIndex={-1}>{props.children}</h1>
      {props.detail}
    </div>
  );
}
