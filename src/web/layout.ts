// The page shell every page shares: language, title, the stylesheet (inlined, allowed by its
// hash in the CSP: no round trip before the first paint), the page's script (a deferred module
// from the same origin), a language switch, and the skip link. No inline script.
import type { Assets } from './assets.js';
import { html, jsonData, raw, type SafeHtml } from './html.js';
import { t, type Lang } from './i18n.js';

export interface PageOptions {
  lang: Lang;
  title: string;
  /** The page's header content (restaurant, table…), shown beside the language switch. */
  header?: SafeHtml;
  body: SafeHtml;
  /** Built script of the page (e.g. "guest.js"), if it has one. */
  script?: string;
  /** Data for the script, read from #page-data. */
  data?: unknown;
  /** Built stylesheets linked after the inlined web.css (the staff's pages). */
  styles?: string[];
  /** Extra class on <body>. */
  className?: string;
}

export function layout(assets: Assets, page: PageOptions): string {
  const other: Lang = page.lang === 'es' ? 'en' : 'es';
  return (
    '<!doctype html>' +
    html`<html lang="${page.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="color-scheme" content="light">
<title>${page.title}</title>
<link rel="icon" href="data:,">
<style>${raw(assets.text('web.css'))}</style>
${(page.styles ?? []).map((file) => html`<link rel="stylesheet" href="${assets.url(file)}">`)}
${page.script ? html`<script type="module" src="${assets.url(page.script)}"></script>` : ''}
</head>
<body class="${page.className ?? ''}">
<a class="skip" href="#main">${t(page.lang, 'skip')}</a>
<header class="top">
<div class="top-title">${page.header ?? html`<h1>${page.title}</h1>`}</div>
<a class="lang" href="?lang=${other}" hreflang="${other}" lang="${other}" aria-label="${t(page.lang, 'lang.switchLabel')}">${t(page.lang, 'lang.switch')}</a>
</header>
${page.body}
${page.data === undefined ? '' : jsonData('page-data', page.data)}
</body>
</html>
`.value
  );
}

/** A page that only says something (an invalid code, a closed restaurant, a used link…). */
export function messagePage(assets: Assets, lang: Lang, title: string, text: string, extra?: SafeHtml): string {
  return layout(assets, {
    lang,
    title,
    className: 'message',
    body: html`<main id="main" class="card"><p>${text}</p>${extra ?? ''}</main>`,
  });
}
