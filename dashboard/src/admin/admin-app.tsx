/**
 * The admin console: the sign-in form until an admin key is accepted, then the views under /admin
 * (client-side routes; the server answers every /admin/* path with this page, so a reload keeps the
 * view and its query).
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { Redirect, Route, Router, Switch } from 'wouter';
import { AdminLayout, ViewTitle } from './admin-layout';
import {
  AdminApiClient,
  AdminSessionContext,
  readAdminKey,
  signInMessage,
  storeAdminKey,
} from './admin-session';
import { CustomerView } from './customer/customer-view';
import { CustomersView } from './customers/customers-view';
import { EventsView } from './events-view';
import { InvoicesView } from './invoices-view';
import { PlansProvider } from './plan-names';
import { RevenueView } from './revenue/revenue-view';
import { SignInForm } from './sign-in-form';

export function AdminApp() {
  const [key, setKey] = useState<string | null>(readAdminKey);
  const [notice, setNotice] = useState<string | null>(null);
  const keyRef = useRef(key);
  keyRef.current = key;

  const signOut = useCallback((message?: string) => {
    storeAdminKey(null);
    keyRef.current = null;
    setKey(null);
    setNotice(message ?? null);
  }, []);

  const session = useMemo(
    () => ({
      api: new AdminApiClient(
        () => keyRef.current,
        (error) => signOut(signInMessage(error)),
      ),
      signOut,
    }),
    [signOut],
  );

  if (key === null) {
    return (
      <SignInForm
        notice={notice}
        onSignedIn={(value) => {
          storeAdminKey(value);
          keyRef.current = value;
          setNotice(null);
          setKey(value);
        }}
      />
    );
  }

  return (
    <AdminSessionContext.Provider value={session}>
      <PlansProvider>
        <Router base="/admin">
          <AdminLayout>
            <Switch>
              <Route path="/">
                <Redirect to="/customers" replace />
              </Route>
              <Route path="/customers" component={CustomersView} />
              <Route path="/customers/:id">{(params) => <CustomerView id={params.id} />}</Route>
              <Route path="/invoices" component={InvoicesView} />
              <Route path="/revenue" component={RevenueView} />
              <Route path="/events" component={EventsView} />
              <Route>
                <ViewTitle>Not found</ViewTitle>
                <p>There is no admin page at this address.</p>
              </Route>
            </Switch>
          </AdminLayout>
        </Router>
      </PlansProvider>
    </AdminSessionContext.Provider>
  );
}
