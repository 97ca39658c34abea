// Search results with the matched words marked. The text is split into segments, marked or not,
// and each becomes a text node (inside <mark> when marked): no HTML is ever built from the
// server's text or the query.

/** The words of a query, NFC, longest first, no duplicates (case-insensitively). */
export function queryTerms(query) {
  const seen = new Set();
  const terms = [];
  for (const word of String(query ?? "").normalize("NFC").split(/\s+/u)) {
    const key = word.toLocaleLowerCase();
    if (!word || seen.has(key)) continue;
    seen.add(key);
    terms.push(word);
  }
  return terms.sort((a, b) => b.length - a.length);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/**
 * [{text, mark}] covering `text` in order: mark is true for each occurrence of a query word,
 * anywhere (inside a word too, as Korean search matches), in any case. Characters of the query
 * are taken literally.
 */
export function highlightSegments(text, query) {
  const source = String(text ?? "").normalize("NFC");
  const terms = queryTerms(query);
  if (!source) return [];
  if (terms.length === 0) return [{ text: source, mark: false }];
  const pattern = new RegExp(terms.map(escapeRegExp).join("|"), "giu");
  const segments = [];
  let last = 0;
  for (const found of source.matchAll(pattern)) {
    if (found[0] === "") continue;
    if (found.index > last) segments.push({ text: source.slice(last, found.index), mark: false });
    const previous = segments[segments.length - 1];
    if (previous?.mark && found.index === last) previous.text += found[0];
    else segments.push({ text: found[0], mark: true });
    last = found.index + found[0].length;
  }
  if (last < source.length) segments.push({ text: source.slice(last), mark: false });
  return segments;
}

/** The segments as nodes: text nodes, and <mark> elements holding text nodes. */
export function highlightNodes(text, query, doc = globalThis.document) {
  return highlightSegments(text, query).map((segment) => {
    if (!segment.mark) return doc.createTextNode(segment.text);
    const mark = doc.createElement("mark");
    mark.append(doc.createTextNode(segment.text));
    return mark;
  });
}
