;;; mcp-el.el --- visioncraft for mcp.el (lizqwerscott/mcp.el)  -*- lexical-binding: t; -*-
;; Add to your init file; `M-x mcp-hub' then starts it with the others.
(with-eval-after-load 'mcp-hub
  (add-to-list 'mcp-hub-servers '("visioncraft" . (:command "vcctl" :args ("mcp")))))
