"""Saved government web pages, made at test time around a plan's text, the way portals wrap it.

Each template puts the plan's paragraphs (and a data table when given) inside the furniture real
portals have: menus, breadcrumbs, a "相关文章" sidebar whose titles carry numbers that look like
targets, share bars, "上一篇/下一篇", footers with 备案号 and phone numbers. `FURNITURE` lists the
furniture texts, so a test can check that none of it reaches the index.

Templates: an ASP.NET page whose whole body is one `<form>`; a page whose `<nav>` is never closed; an
HTML5 `<article>` page with header, aside and footer; a page laid out with tables (content in one
cell, sidebar in another, paragraphs split by `<br>` and indented with `&nbsp;`); a TRS-editor page
with inline styles, a share bar and related links inside the content column.
"""
from __future__ import annotations

import html

SIDEBAR = ["我市2024年光伏装机容量达到987万千瓦", "到2025年新能源汽车保有量突破6543辆", "全市单位GDP能耗下降31.7%的经验做法",
           "市领导调研海上风电项目建设", "关于开展节能宣传周活动的通知"]
MENU = ["首页", "政务公开", "政策文件", "互动交流", "办事服务", "数据发布", "走进本市"]
FOOTER = ["版权所有：市人民政府办公室", "网站标识码4407000001", "粤ICP备05080321号", "联系电话：0750-3501234",
          "主办单位：市政务服务数据管理局", "技术支持：某某信息技术有限公司"]
SHARE = ["分享到：", "微信", "微博", "【打印本页】", "【关闭窗口】"]
NEIGHBOURS = ["上一篇：关于2022年度重点排放单位温室气体排放报告核查的通知", "下一篇：市生态环境局2023年工作要点"]
FURNITURE = SIDEBAR + MENU + FOOTER + SHARE + NEIGHBOURS + ["相关文章", "相关链接", "当前位置"]


def _links(items: list[str], tag: str = "li") -> str:
    return "".join(f'<{tag}><a href="/art/{i}.html" target="_blank">{html.escape(t)}</a></{tag}>' for i, t in enumerate(items))


def _paragraphs(lines: list[str], style: str = "") -> str:
    return "".join(f'<p{style}>{html.escape(line)}</p>' for line in lines)


def _table(rows: list[list[str]] | None) -> str:
    if not rows:
        return ""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f'<table border="1" class="data"><tr>{head}</tr>{body}</table>'


def aspnet_form(title: str, lines: list[str], table=None) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}_市人民政府门户网站</title>
<script>var _hmt = _hmt || []; document.write("统计代码");</script></head>
<body><form name="form1" method="post" action="./content.aspx?id=1234" id="form1">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKLTk1NjY3OTUzNQ9kFgICAw9kFgI=" />
<div class="top"><ul class="menu">{_links(MENU)}</ul><input type="text" name="q" /><a href="/search">搜索</a></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a> &gt; 政策文件</div>
<div class="main"><div class="left"><h1 id="lblTitle">{html.escape(title)}</h1>
<div class="info">发布时间：2023-01-05 来源：市发展改革局 浏览次数：<span id="hits">1024</span></div>
<div id="zoom">{_paragraphs(lines[:len(lines) // 2])}{_table(table)}{_paragraphs(lines[len(lines) // 2:])}</div>
<div class="share">{"".join(f"<span>{s}</span>" for s in SHARE)}</div></div>
<div class="right"><h3>相关文章</h3><ul>{_links(SIDEBAR)}</ul></div></div>
<div class="footer">{"<br/>".join(FOOTER)}</div></form></body></html>"""


def unclosed_nav(title: str, lines: list[str], table=None) -> str:
    return f"""<html><head><title>{html.escape(title)}</title></head><body>
<nav class="topnav"><ul>{_links(MENU)}</ul>
<div class="crumb">当前位置：首页 &gt; 政策文件</div>
<div class="content"><h2>{html.escape(title)}</h2>{_paragraphs(lines)}{_table(table)}</div>
<div class="related"><h3>相关链接</h3><ul>{_links(SIDEBAR)}</ul></div>
<div class="foot">{"".join(f"<p>{f}</p>" for f in FOOTER)}</div></body></html>"""


def html5_article(title: str, lines: list[str], table=None) -> str:
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head><body>
<header><div class="logo">市人民政府</div><nav><ul>{_links(MENU)}</ul></nav></header>
<main><article><header><h1>{html.escape(title)}</h1><p class="meta">来源：市发展改革局　发布日期：2022-12-30</p></header>
<section>{_paragraphs(lines[:3])}</section><section>{_table(table)}{_paragraphs(lines[3:])}</section>
<footer class="article-tools">{"".join(f"<a href='#'>{s}</a>" for s in SHARE)}</footer></article>
<aside><h3>相关文章</h3><ol>{_links(SIDEBAR)}</ol></aside></main>
<footer><p>{"</p><p>".join(FOOTER)}</p></footer></body></html>"""


def layout_tables(title: str, lines: list[str], table=None) -> str:
    body = "<br>".join("&nbsp;&nbsp;&nbsp;&nbsp;" + html.escape(line) for line in lines)
    return f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>{html.escape(title)}</title></head>
<body><table width="1002" border="0" cellspacing="0" cellpadding="0" align="center">
<tr><td colspan="2" class="banner">{"".join(f'<a href="/c{i}">{m}</a>&nbsp;|&nbsp;' for i, m in enumerate(MENU))}</td></tr>
<tr><td width="720" valign="top"><table width="100%"><tr><td class="title" align="center"><font size="5"><b>{html.escape(title)}</b></font></td></tr>
<tr><td class="text"><font face="宋体" style="font-size:16px">{body}</font>{_table(table)}</td></tr></table></td>
<td width="282" valign="top"><table width="100%"><tr><td class="side-title">相关文章</td></tr>
{"".join(f'<tr><td><a href="/a{i}">{t}</a></td></tr>' for i, t in enumerate(SIDEBAR))}</table></td></tr>
<tr><td colspan="2" align="center">{"&nbsp;&nbsp;".join(FOOTER)}</td></tr></table></body></html>"""


def trs_editor(title: str, lines: list[str], table=None) -> str:
    return f"""<html><head><title>{html.escape(title)}</title><style>.TRS_Editor p {{ text-indent: 2em; }}</style></head><body>
<div id="header"><ul>{_links(MENU)}</ul></div>
<div class="wrap"><div class="con"><div class="tit">{html.escape(title)}</div>
<div class="TRS_Editor"><div class="Custom_UnionStyle">{_paragraphs(lines, ' style="text-indent:2em;font-family:仿宋_GB2312"')}{_table(table)}</div></div>
<div class="fx">{"".join(f"<a href='#'>{s}</a>" for s in SHARE)}</div>
<div class="pages"><p><a href="/p1">{NEIGHBOURS[0]}</a></p><p><a href="/p2">{NEIGHBOURS[1]}</a></p></div>
<div class="xg"><b>相关文章</b><ul>{_links(SIDEBAR)}</ul></div></div></div>
<div id="footer">{"".join(f"<span>{f}</span> " for f in FOOTER)}</div></body></html>"""


TEMPLATES = {"aspnet-form": aspnet_form, "unclosed-nav": unclosed_nav, "html5-article": html5_article,
             "layout-tables": layout_tables, "trs-editor": trs_editor}
