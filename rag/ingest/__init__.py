"""From files and feeds to articles and passages. Takes the articles folder (text, Markdown, HTML,
any encoding) and followed RSS/Atom feeds (`feeds`, fetched politely by `fetching`); gives
`loading.Article`s with title, outlet, author and publication date (`formats`, `dates`), near
duplicates set aside (`duplicates`), and passages with exact character offsets (`chunking`).
`articles` reads the folder for the page; `background` feeds embeddings while files are read."""
