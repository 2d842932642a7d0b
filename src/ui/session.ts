/**
 * The admin token, kept in sessionStorage: it lasts as long as the tab, is
 * never sent by the browser on its own (unlike a cookie), and is gone when the
 * tab closes or the operator signs out.
 */
const KEY = 'webhook-processor.admin-token';

export const session = {
  token(): string | undefined {
    return sessionStorage.getItem(KEY) ?? undefined;
  },
  signIn(token: string): void {
    sessionStorage.setItem(KEY, token);
  },
  signOut(): void {
    sessionStorage.removeItem(KEY);
  },
};
