import type { EventContext } from '@heed/protocol';

/** What the page says about itself, attached to every event. */
export function pageContext(): EventContext {
  const { href: url, pathname: path, search } = location;
  const { referrer, title } = document;
  const { width, height } = screen;
  const campaign: Record<string, string> = {};
  new URLSearchParams(search).forEach((v, k) => {
    if (k.startsWith('utm_')) campaign[k === 'utm_campaign' ? 'name' : k.slice(4)] = v;
  });
  return {
    channel: 'web',
    page: { url, path, referrer, title, search },
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    userAgent: navigator.userAgent,
    screen: { width, height, density: devicePixelRatio },
    campaign: Object.keys(campaign).length ? campaign : undefined,
  };
}
