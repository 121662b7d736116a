import type { EventContext } from '@heed/protocol';

/**
 * What the page says about itself, attached to every event. The page's path, query string and UTM
 * campaign are in `page.url`: the collector derives `page.path`, `page.search` and `campaign` from
 * it when it stores the event, which keeps that parsing out of this script.
 */
export const pageContext = (): EventContext => ({
  channel: 'web',
  page: { url: location.href, referrer: document.referrer, title: document.title },
  timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  screen: { width: screen.width, height: screen.height },
});
