;;; visioncraft.el --- Generate images with the visioncraftd daemon  -*- lexical-binding: t; -*-

;; Author: The visioncraft authors
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1"))
;; Keywords: multimedia, tools, convenience
;; URL: https://github.com/visioncraft/visioncraft

;; This file is not part of GNU Emacs.

;;; Commentary:

;; A client for `visioncraftd', the per-user daemon that queues image
;; generation jobs.  It speaks JSON-RPC 2.0 over the daemon's Unix
;; socket, one JSON message per line (see Protocol/PROTOCOL.md).
;;
;; Commands:
;;
;;   M-x visioncraft-generate  submit the region (or a prompt read from
;;                             the minibuffer); with a prefix argument,
;;                             ask for the number of images.  When the
;;                             job succeeds, links to the images are
;;                             inserted where the command was called:
;;                             [[file:PATH]] in Org buffers,
;;                             ![prompt](PATH) elsewhere.
;;   M-x visioncraft-list      recent jobs in a table.
;;   M-x visioncraft-cancel    cancel the last job (with a prefix
;;                             argument, one chosen from recent jobs).
;;
;; Lisp:
;;
;;   (visioncraft-call METHOD PARAMS TIMEOUT)  a synchronous call.
;;   (visioncraft-request METHOD PARAMS CALLBACK)  an asynchronous one.
;;   `visioncraft-job-updated-functions'  run for every job.updated
;;                                        notification of the daemon.
;;
;; Install:
;;
;;   (add-to-list 'load-path "/path/to/visioncraft/Integrations/emacs")
;;   (require 'visioncraft)
;;
;; or M-x package-install-file RET .../Integrations/emacs/visioncraft.el.

;;; Code:

(require 'seq)
(require 'subr-x)
(require 'tabulated-list)

(declare-function org-display-inline-images "org" (&optional include-linked refresh beg end))
(declare-function org-link-escape "ol" (link))

;;;; Customisation

(defgroup visioncraft nil
  "Generate images with the visioncraftd daemon."
  :group 'multimedia
  :prefix "visioncraft-")

(defcustom visioncraft-socket nil
  "The path of visioncraftd's socket, or nil to find it like the daemon.
When nil: $VISIONCRAFT_SOCKET, else
$XDG_RUNTIME_DIR/visioncraft/visioncraftd.sock, else
/tmp/visioncraft-UID/visioncraftd.sock."
  :type '(choice (const :tag "Like the daemon" nil) file))

(defcustom visioncraft-backend nil
  "The backend new jobs run on, or nil for the daemon's default.
A name from vcctl backends."
  :type '(choice (const :tag "The daemon's default" nil) string))

(defcustom visioncraft-model nil
  "The model of new jobs, or nil for the daemon's default."
  :type '(choice (const :tag "The daemon's default" nil) string))

(defcustom visioncraft-sampler nil
  "The sampler of new jobs, or nil for the daemon's default."
  :type '(choice (const :tag "The daemon's default" nil) string))

(defcustom visioncraft-negative-prompt nil
  "The negative prompt of new jobs, or nil for none."
  :type '(choice (const :tag "None" nil) string))

(defcustom visioncraft-image-count 1
  "How many images a job makes, unless a prefix argument asks."
  :type '(integer :tag "Images (1 to 100)"))

(defcustom visioncraft-labels nil
  "Labels given to new jobs."
  :type '(repeat string))

(defcustom visioncraft-link-style 'auto
  "How `visioncraft-generate' inserts links to the images.
`auto': Org links in Org buffers, Markdown images elsewhere."
  :type '(choice (const :tag "Org in Org buffers, else Markdown" auto)
                 (const :tag "Org: [[file:PATH]]" org)
                 (const :tag "Markdown: ![prompt](PATH)" markdown)
                 (const :tag "The bare path" path)))

(defcustom visioncraft-display-inline-images t
  "Whether to show inserted Org links as images on graphical displays."
  :type 'boolean)

(defcustom visioncraft-timeout 30
  "Seconds that synchronous calls wait for the daemon's reply."
  :type 'number)

(defcustom visioncraft-list-limit 100
  "How many jobs `visioncraft-list' shows."
  :type 'integer)

(defcustom visioncraft-job-updated-functions nil
  "Functions called with the params of each job.updated notification.
The argument is an alist with `id', `state', `images_done',
`image_count', `attempts' and maybe `error' and `next_attempt_at'."
  :type 'hook)

(defcustom visioncraft-job-finished-functions nil
  "Functions called with a job (an alist, as `job.get' returns it).
Run once for each job submitted by `visioncraft-generate' when it
succeeds, fails or is cancelled, after any links are inserted."
  :type 'hook)

;;;; Errors

(define-error 'visioncraft-error "visioncraft" 'user-error)
(define-error 'visioncraft-connection-error "visioncraft: cannot connect" 'visioncraft-error)
(define-error 'visioncraft-rpc-error "visioncraft" 'visioncraft-error)
(define-error 'visioncraft-timeout "visioncraft: no reply in time" 'visioncraft-error)

;;;; Connection

(defvar visioncraft--process nil
  "The connection to the daemon, or nil.")

(defvar visioncraft--pending (make-hash-table :test #'eql)
  "Reply callbacks by request id.")

(defvar visioncraft--next-id 0
  "The id of the last request sent.")

(defun visioncraft-socket-path ()
  "The path of the daemon's socket, resolved like the daemon does."
  (let ((runtime (getenv "XDG_RUNTIME_DIR"))
        (variable (getenv "VISIONCRAFT_SOCKET")))
    (cond (visioncraft-socket (expand-file-name visioncraft-socket))
          ((and variable (not (string-empty-p variable))) variable)
          ((and runtime (not (string-empty-p runtime)))
           (concat (file-name-as-directory runtime) "visioncraft/visioncraftd.sock"))
          (t (format "/tmp/visioncraft-%d/visioncraftd.sock" (user-uid))))))

(defun visioncraft--split-lines (partial chunk)
  "Split PARTIAL followed by CHUNK into complete lines.
Return (LINES . REST): the lines without their newline, in order,
and the text after the last newline (an incomplete message)."
  (if (not (string-search "\n" chunk))
      (cons nil (concat partial chunk))
    (let ((text (concat partial chunk))
          (start 0)
          lines)
      (while (string-match "\n" text start)
        (push (substring text start (match-beginning 0)) lines)
        (setq start (match-end 0)))
      (cons (nreverse lines) (substring text start)))))

(defun visioncraft--parse (line)
  "Parse LINE as JSON, or return nil for a blank line.
Objects become alists, arrays vectors, null nil and false `:false'."
  (unless (string-match-p "\\`[ \t\r]*\\'" line)
    (json-parse-string line :object-type 'alist :array-type 'array
                       :null-object nil :false-object :false)))

(defun visioncraft--filter (process output)
  "Accumulate OUTPUT of PROCESS and dispatch each complete line."
  (let ((split (visioncraft--split-lines
                (or (process-get process 'visioncraft-partial) "") output)))
    (process-put process 'visioncraft-partial (cdr split))
    (dolist (line (car split))
      ;; Not -unless-debug: one bad line must not lose the next ones.
      (condition-case err
          (let ((message (visioncraft--parse line)))
            (when message (visioncraft--dispatch message)))
        (error (message "visioncraft: bad message from the daemon (%s): %s"
                        (error-message-string err)
                        (truncate-string-to-width line 200)))))))

(defun visioncraft--dispatch (message)
  "Route one parsed MESSAGE: a reply, a notification or a batch."
  (cond
   ((vectorp message) (mapc #'visioncraft--dispatch message))
   ((and (assq 'id message)
         (or (assq 'result message) (assq 'error message)))
    (let* ((id (alist-get 'id message))
           (callback (gethash id visioncraft--pending)))
      (when callback
        (remhash id visioncraft--pending)
        (funcall callback (alist-get 'result message) (alist-get 'error message)))))
   ((assq 'method message)
    (let ((method (alist-get 'method message))
          (params (alist-get 'params message)))
      (pcase method
        ("job.updated"
         (visioncraft--job-updated params)
         (run-hook-with-args 'visioncraft-job-updated-functions params))
        ("events.dropped" (visioncraft--catch-up)))))))

(defun visioncraft--sentinel (process _event)
  "Fail the pending calls when PROCESS, the connection, closes."
  (unless (process-live-p process)
    (when (eq process visioncraft--process)
      (setq visioncraft--process nil))
    (let (callbacks)
      (maphash (lambda (_id callback) (push callback callbacks)) visioncraft--pending)
      (clrhash visioncraft--pending)
      (dolist (callback callbacks)
        (funcall callback nil '((code . -32099)
                                (message . "the daemon closed the connection")))))))

(defun visioncraft--connection ()
  "The live connection to the daemon, connecting (again) when needed.
A new connection subscribes to events and catches up on tracked jobs."
  (if (process-live-p visioncraft--process)
      visioncraft--process
    (let* ((path (visioncraft-socket-path))
           (process
            (condition-case err
                (make-network-process
                 :name "visioncraft" :family 'local :service path
                 :coding '(utf-8-unix . utf-8-unix) :noquery t
                 :filter #'visioncraft--filter :sentinel #'visioncraft--sentinel)
              (file-error
               (signal 'visioncraft-connection-error
                       (list path (error-message-string err)
                             "is visioncraftd running? (vcctl daemon start)"))))))
      (setq visioncraft--process process)
      (visioncraft--send process "events.subscribe" nil #'ignore)
      (visioncraft--catch-up)
      process)))

(defun visioncraft--send (process method params callback)
  "Send METHOD with PARAMS on PROCESS; CALLBACK gets (RESULT ERROR).
Return the request's id."
  (let* ((id (setq visioncraft--next-id (1+ visioncraft--next-id)))
         (request `((jsonrpc . "2.0") (id . ,id) (method . ,method)
                    ,@(and params `((params . ,params))))))
    (puthash id callback visioncraft--pending)
    (condition-case err
        (process-send-string process (concat (json-serialize request) "\n"))
      (error
       (remhash id visioncraft--pending)
       (signal 'visioncraft-connection-error (list (error-message-string err)))))
    id))

(defun visioncraft-request (method params callback)
  "Call METHOD with PARAMS (an alist, or nil) without waiting.
CALLBACK is called with two arguments, the result and the error
object (alists; one of them nil).  Return the request's id."
  (visioncraft--send (visioncraft--connection) method params callback))

(defun visioncraft--error-text (object)
  "A sentence for a JSON-RPC error OBJECT."
  (let ((reason (alist-get 'reason (alist-get 'data object))))
    (concat (or (alist-get 'message object) "unknown error")
            (if reason (format " (%s)" reason) ""))))

(defun visioncraft-call (method &optional params timeout)
  "Call METHOD with PARAMS and wait for the result, at most TIMEOUT seconds.
PARAMS is an alist or nil; TIMEOUT defaults to `visioncraft-timeout'.
Return the result (objects as alists, arrays as vectors).  Signal
`visioncraft-rpc-error' with the daemon's error, `visioncraft-timeout'
when no reply came in time, `visioncraft-connection-error' when the
daemon cannot be reached; all are `user-error's."
  (let* ((process (visioncraft--connection))
         (deadline (+ (float-time) (or timeout visioncraft-timeout)))
         (done nil) result failure id)
    (setq id (visioncraft--send process method params
                                (lambda (r e) (setq done t result r failure e))))
    (while (and (not done) (< (float-time) deadline))
      (accept-process-output process (min 0.5 (max 0.01 (- deadline (float-time)))) nil t)
      (unless (or done (process-live-p process))
        ;; The sentinel may not have run yet: give it its chance.
        (accept-process-output nil 0.01)))
    (cond ((not done)
           (remhash id visioncraft--pending)
           (signal 'visioncraft-timeout (list method)))
          (failure
           (signal 'visioncraft-rpc-error
                   (list (format "%s: %s" method (visioncraft--error-text failure))
                         failure)))
          (t result))))

;;;; Jobs submitted from buffers

(defvar visioncraft--jobs (make-hash-table :test #'equal)
  "Jobs `visioncraft-generate' waits for, by id: plists.")

(defvar visioncraft--last-job nil
  "The id of the last job submitted by `visioncraft-generate'.")

(defvar visioncraft--mode-line-string ""
  "The progress of the tracked jobs, for the mode line.")
(put 'visioncraft--mode-line-string 'risky-local-variable t)

(defun visioncraft--short (id)
  "The last characters of the job ID, enough to tell jobs apart."
  (if (> (length id) 8) (substring id -8) id))

(defun visioncraft--update-mode-line ()
  "Show the tracked jobs' progress in the mode line."
  (let (parts)
    (maphash (lambda (_id job)
               (push (format "%d/%d" (plist-get job :done) (plist-get job :count)) parts))
             visioncraft--jobs)
    (setq visioncraft--mode-line-string
          (if parts (format " VC[%s]" (string-join (nreverse parts) " ")) ""))
    (when parts
      (unless (memq 'visioncraft--mode-line-string global-mode-string)
        (setq global-mode-string
              (append (or global-mode-string '("")) '(visioncraft--mode-line-string)))))
    (force-mode-line-update t)))

(defun visioncraft--terminal-p (state)
  "Whether the job STATE is final."
  (member state '("succeeded" "failed" "cancelled")))

(defun visioncraft--job-updated (update)
  "Follow UPDATE (job.updated params or a job) of a tracked job."
  (let* ((id (alist-get 'id update))
         (job (and id (gethash id visioncraft--jobs))))
    (when (and job (not (plist-get job :finishing)))
      (let ((state (alist-get 'state update))
            (done (or (alist-get 'images_done update) 0))
            (count (or (alist-get 'image_count update) (plist-get job :count))))
        (if (visioncraft--terminal-p state)
            (progn
              (plist-put job :finishing t)
              (visioncraft-request "job.get" `((id . ,id))
                                   (lambda (result failure)
                                     (visioncraft--finish id (or result update) failure))))
          (let ((failure (alist-get 'error update)))
            ;; The catch-up job.get and the events may tell the same thing.
            (unless (and (equal state (plist-get job :state))
                         (eql done (plist-get job :done))
                         (not failure))
              (message "visioncraft: job %s %s, %d/%d images%s"
                       (visioncraft--short id) state done count
                       (if failure (format " (%s)" (alist-get 'message failure)) "")))))
        (plist-put job :state state)
        (plist-put job :done done)
        (plist-put job :count count)
        (visioncraft--update-mode-line)))))

(defun visioncraft--catch-up ()
  "Ask for the state of every tracked job (after missed events)."
  (maphash (lambda (id job)
             (unless (plist-get job :finishing)
               (visioncraft-request "job.get" `((id . ,id))
                                    (lambda (result _error)
                                      (when result (visioncraft--job-updated result))))))
           visioncraft--jobs))

(defun visioncraft--image-paths (job)
  "The paths of JOB's saved images, in order."
  (delq nil (mapcar (lambda (image) (alist-get 'path image))
                    (alist-get 'images job))))

(defun visioncraft--link-style (buffer)
  "The link style to use in BUFFER."
  (if (eq visioncraft-link-style 'auto)
      (if (with-current-buffer buffer (derived-mode-p 'org-mode)) 'org 'markdown)
    visioncraft-link-style))

(defun visioncraft--link (style path prompt)
  "A link to PATH in STYLE, with PROMPT as Markdown's alternative text."
  (pcase style
    ('org (format "[[file:%s]]" (if (fboundp 'org-link-escape) (org-link-escape path) path)))
    ('markdown
     (format "![%s](%s)"
             (replace-regexp-in-string "[][\\]" "\\\\\\&"
                                       (replace-regexp-in-string "[\n\r\t]+" " " prompt))
             (if (string-match-p "[ ()<>]" path) (format "<%s>" path) path)))
    (_ path)))

(defun visioncraft-insert-links (marker paths prompt)
  "Insert links to PATHS at MARKER, one a line, for the image of PROMPT.
Return the number of links inserted."
  (let ((buffer (marker-buffer marker)))
    (if (not (buffer-live-p buffer))
        0
      (with-current-buffer buffer
        (let ((style (visioncraft--link-style buffer))
              (inhibit-read-only t)
              start end)
          (save-excursion
            (goto-char marker)
            (unless (bolp) (insert "\n"))
            (setq start (point))
            (dolist (path paths)
              (insert (visioncraft--link style path prompt) "\n"))
            (setq end (point)))
          (when (and (eq style 'org) visioncraft-display-inline-images
                     (display-graphic-p) (fboundp 'org-display-inline-images))
            (org-display-inline-images nil t start end))
          (length paths))))))

(defun visioncraft--report (id job inserted)
  "A sentence on how the job ID ended; JOB is the job, INSERTED its links."
  (let ((state (alist-get 'state job))
        (failure (alist-get 'error job)))
    (pcase state
      ("succeeded" (format "visioncraft: job %s succeeded, %d image%s inserted"
                           (visioncraft--short id) inserted (if (= inserted 1) "" "s")))
      ("cancelled" (format "visioncraft: job %s was cancelled" (visioncraft--short id)))
      (_ (format "visioncraft: job %s %s: %s" (visioncraft--short id) (or state "ended")
                 (if failure
                     (format "%s (%s)" (alist-get 'message failure) (alist-get 'kind failure))
                   "no reason given"))))))

(defun visioncraft--finish (id job get-error)
  "Report the end of the tracked job ID (JOB as `job.get' gives it).
GET-ERROR is the error of `job.get', if it failed."
  (let ((tracked (gethash id visioncraft--jobs)))
    (remhash id visioncraft--jobs)
    (visioncraft--update-mode-line)
    (when tracked
      (let ((state (alist-get 'state job))
            (marker (plist-get tracked :marker))
            (prompt (plist-get tracked :prompt)))
        (message "%s"
                 (cond
                  (get-error
                   (format "visioncraft: job %s: %s" (visioncraft--short id)
                           (visioncraft--error-text get-error)))
                  ((equal state "succeeded")
                   (visioncraft--report
                    id job (visioncraft-insert-links marker (visioncraft--image-paths job) prompt)))
                  (t (visioncraft--report id job 0))))
        (set-marker marker nil)
        (run-hook-with-args 'visioncraft-job-finished-functions job)))))

(defun visioncraft--job-parameters (prompt count)
  "The params of job.submit for PROMPT and COUNT images."
  `((prompt . ,prompt)
    (image_count . ,count)
    ,@(and visioncraft-backend `((backend . ,visioncraft-backend)))
    ,@(and visioncraft-model `((model . ,visioncraft-model)))
    ,@(and visioncraft-sampler `((sampler . ,visioncraft-sampler)))
    ,@(and visioncraft-negative-prompt `((negative_prompt . ,visioncraft-negative-prompt)))
    ,@(and visioncraft-labels `((labels . ,(vconcat visioncraft-labels))))))

;;;###autoload
(defun visioncraft-generate (prompt &optional count)
  "Generate COUNT images of PROMPT and insert links to them here.
Interactively, PROMPT is the active region's text, else read from
the minibuffer; a prefix argument asks for COUNT (default
`visioncraft-image-count').  The job runs in the daemon; when it
succeeds, links are inserted where this was called (after the
region): [[file:PATH]] in Org buffers, ![PROMPT](PATH) elsewhere
\(see `visioncraft-link-style').  Return the job's id."
  (interactive
   (list (if (use-region-p)
             (buffer-substring-no-properties (region-beginning) (region-end))
           (read-string "Prompt: "))
         (if current-prefix-arg
             (read-number "Images: " (if (integerp current-prefix-arg)
                                         current-prefix-arg
                                       visioncraft-image-count))
           visioncraft-image-count)))
  (let ((prompt (string-trim prompt))
        (count (or count visioncraft-image-count)))
    (when (string-empty-p prompt) (user-error "visioncraft: the prompt is empty"))
    (unless (and (integerp count) (<= 1 count 100))
      (user-error "visioncraft: the image count must be 1 to 100, not %s" count))
    (let* ((marker (copy-marker (if (use-region-p) (region-end) (point))))
           (submitted (visioncraft-call "job.submit" (visioncraft--job-parameters prompt count)))
           (id (alist-get 'id submitted)))
      (when (use-region-p) (deactivate-mark))
      (setq visioncraft--last-job id)
      (puthash id (list :marker marker :prompt prompt :done 0 :count count
                     :state (alist-get 'state submitted) :finishing nil)
               visioncraft--jobs)
      (message "visioncraft: job %s %s%s" (visioncraft--short id)
               (alist-get 'state submitted)
               (let ((position (alist-get 'position submitted)))
                 (if (and (integerp position) (> position 0))
                     (format ", %d ahead" position) "")))
      (visioncraft--update-mode-line)
      ;; Events about the job may have come before the reply: catch up.
      (visioncraft-request "job.get" `((id . ,id))
                           (lambda (result _error)
                             (when result (visioncraft--job-updated result))))
      id)))

;;;; Cancel

(defun visioncraft--recent-jobs (&optional limit)
  "The LIMIT (default `visioncraft-list-limit') newest jobs, as a list.
Each job is its summary (id, state, image counts, creation time and
prompt): what the listing and the job prompt show."
  (append (alist-get 'jobs (visioncraft-call "job.list"
                                             `((limit . ,(or limit visioncraft-list-limit))
                                               (summary . t))))
          nil))

(defun visioncraft--read-job (prompt)
  "Read the id of a recent job with PROMPT, unfinished ones first."
  (let* ((jobs (visioncraft--recent-jobs 50))
         (jobs (append (seq-remove (lambda (job) (visioncraft--terminal-p (alist-get 'state job))) jobs)
                       (seq-filter (lambda (job) (visioncraft--terminal-p (alist-get 'state job))) jobs)))
         (annotations (mapcar (lambda (job)
                                (cons (alist-get 'id job)
                                      (format "  %-9s %s" (alist-get 'state job)
                                              (alist-get 'prompt (alist-get 'params job)))))
                              jobs))
         (completion-extra-properties
          (list :annotation-function (lambda (id) (cdr (assoc id annotations))))))
    (when (null jobs) (user-error "visioncraft: there are no jobs"))
    (completing-read prompt
                     (lambda (string predicate action)
                       (if (eq action 'metadata)
                           '(metadata (display-sort-function . identity))
                         (complete-with-action action annotations string predicate)))
                     nil t nil nil (car (car annotations)))))

;;;###autoload
(defun visioncraft-cancel (id)
  "Cancel the job ID: queued, it never runs; running, it is aborted.
Interactively, the last job submitted by `visioncraft-generate';
with a prefix argument, or when there is none, one chosen from
recent jobs.  Return the job as the daemon gives it."
  (interactive (list (if (or current-prefix-arg (null visioncraft--last-job))
                         (visioncraft--read-job "Cancel job: ")
                       visioncraft--last-job)))
  (let ((job (visioncraft-call "job.cancel" `((id . ,id)))))
    (message "visioncraft: job %s is %s" (visioncraft--short id) (alist-get 'state job))
    job))

;;;; List

(defvar visioncraft-list-mode-map
  (let ((map (make-sparse-keymap)))
    (set-keymap-parent map tabulated-list-mode-map)
    (define-key map (kbd "RET") #'visioncraft-list-visit)
    (define-key map (kbd "c") #'visioncraft-list-cancel)
    map)
  "Keys of `visioncraft-list-mode'.")

(define-derived-mode visioncraft-list-mode tabulated-list-mode "VisionCraft"
  "Recent visioncraftd jobs.
\\<visioncraft-list-mode-map>\\[visioncraft-list-visit] visits the job's first image, \
\\[visioncraft-list-cancel] cancels the job, \\[revert-buffer] refreshes."
  (setq tabulated-list-format [("ID" 26 t)
                               ("State" 10 t)
                               ("Images" 7 nil :right-align t)
                               ("Created" 20 t)
                               ("Prompt" 0 nil)])
  (setq tabulated-list-padding 1)
  (add-hook 'tabulated-list-revert-hook #'visioncraft--list-refresh nil t)
  (tabulated-list-init-header))

(defun visioncraft--list-refresh ()
  "Fill `tabulated-list-entries' from job.list."
  (setq tabulated-list-entries
        (mapcar (lambda (job)
                  (let ((id (alist-get 'id job)))
                    (list id
                          (vector id
                                  (alist-get 'state job)
                                  (format "%d/%d" (alist-get 'images_done job) (alist-get 'image_count job))
                                  (replace-regexp-in-string "\\.[0-9]+Z\\'" "Z" (or (alist-get 'created_at job) ""))
                                  (replace-regexp-in-string
                                   "[\n\r\t]+" " " (or (alist-get 'prompt (alist-get 'params job)) ""))))))
                (visioncraft--recent-jobs))))

;;;###autoload
(defun visioncraft-list ()
  "Show recent jobs in the buffer *visioncraft*; return the buffer."
  (interactive)
  (let ((buffer (get-buffer-create "*visioncraft*")))
    (with-current-buffer buffer
      (visioncraft-list-mode)
      (visioncraft--list-refresh)
      (tabulated-list-print))
    (if (called-interactively-p 'interactive)
        (pop-to-buffer buffer)
      (display-buffer buffer))
    buffer))

(defun visioncraft-list-visit ()
  "Visit the first image of the job at point."
  (interactive)
  (let* ((id (or (tabulated-list-get-id) (user-error "No job here")))
         (paths (visioncraft--image-paths (visioncraft-call "job.get" `((id . ,id))))))
    (if paths
        (find-file (car paths))
      (user-error "visioncraft: job %s has no saved image" (visioncraft--short id)))))

(defun visioncraft-list-cancel ()
  "Cancel the job at point and refresh."
  (interactive)
  (visioncraft-cancel (or (tabulated-list-get-id) (user-error "No job here")))
  (revert-buffer))

;;;; Disconnect

(defun visioncraft-disconnect ()
  "Close the connection to the daemon (the next call opens another)."
  (interactive)
  (when (process-live-p visioncraft--process)
    (delete-process visioncraft--process))
  (setq visioncraft--process nil))

(provide 'visioncraft)

;;; visioncraft.el ends here
