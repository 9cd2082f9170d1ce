<?xml version="1.0" encoding="UTF-8"?>
<!-- feed.xsl: how a browser shows an RSS or Atom feed of this site (build.xsl: true). Feed
     readers ignore it. XSLT 1.0, the version browsers run; no scripts, no remote resources. -->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  exclude-result-prefixes="atom">
<xsl:output method="html" encoding="UTF-8" indent="yes" doctype-system="about:legacy-compat"/>

<xsl:template match="/">
  <xsl:variable name="title" select="rss/channel/title | atom:feed/atom:title"/>
  <html lang="{rss/channel/language | atom:feed/@xml:lang}">
  <head>
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1"/>
    <meta name="color-scheme" content="light dark"/>
    <title><xsl:value-of select="$title"/> (feed)</title>
    <style>
      body { font-family: -apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif;
             max-width: 44rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; overflow-wrap: anywhere; }
      .note { background: #fef9c3; color: #3f3f46; padding: .75rem 1rem; border-radius: .5rem; }
      small { color: #71717a; }
      @media (prefers-color-scheme: dark) { body { background: #18181b; color: #f4f4f5; } a { color: #93c5fd; }
        .note { background: #3f3f46; color: #f4f4f5; } }
    </style>
  </head>
  <body>
    <p class="note">This is a web feed. Copy this page's address into your feed reader to follow it.</p>
    <h1><xsl:value-of select="$title"/></h1>
    <p><xsl:value-of select="rss/channel/description | atom:feed/atom:subtitle"/></p>
    <p><a href="{rss/channel/link | atom:feed/atom:link[@rel='alternate']/@href}">Visit the website</a></p>
    <ul>
      <xsl:apply-templates select="rss/channel/item | atom:feed/atom:entry"/>
    </ul>
  </body>
  </html>
</xsl:template>

<xsl:template match="item">
  <li>
    <a href="{link}"><xsl:value-of select="title"/></a><br/>
    <small><xsl:value-of select="pubDate"/></small>
  </li>
</xsl:template>

<xsl:template match="atom:entry">
  <li>
    <a href="{atom:link/@href}"><xsl:value-of select="atom:title"/></a><br/>
    <small><xsl:value-of select="substring(atom:published, 1, 10)"/></small>
    <xsl:if test="atom:summary"><br/><xsl:value-of select="atom:summary"/></xsl:if>
  </li>
</xsl:template>
</xsl:stylesheet>
