;;; visioncraft-tests.el --- ERT tests of visioncraft.el  -*- lexical-binding: t; -*-

;;; Commentary:

;; Run against a live daemon (the Swift test EmacsTests does this):
;;
;;   VISIONCRAFT_SOCKET=/path/to/visioncraftd.sock \
;;   VISIONCRAFT_TEST_OUTPUT=/some/folder \
;;   emacs --batch -Q -L Integrations/emacs -l visioncraft-tests.el \
;;     -f ert-run-tests-batch-and-exit
;;
;; The tests that need the daemon are skipped without
;; VISIONCRAFT_TEST_OUTPUT.  With VISIONCRAFT_TEST_SLOW set (a daemon
;; whose upstream answers after 5 s), only the cancellation test runs
;; against it.  The tests that generate images save the buffers they
;; filled as generated.org and generated.md in VISIONCRAFT_TEST_OUTPUT.

;;; Code:

(require 'ert)
(require 'org)
(require 'org-element)
(require 'visioncraft)

(defvar visioncraft-tests--output (getenv "VISIONCRAFT_TEST_OUTPUT")
  "The folder for the files the tests save, or nil without a daemon.")

(defvar visioncraft-tests--slow (getenv "VISIONCRAFT_TEST_SLOW")
  "Non-nil when the daemon's upstream is slow (the cancellation test).")

(defun visioncraft-tests--live ()
  "Whether a daemon with a quick upstream is available."
  (and visioncraft-tests--output (not visioncraft-tests--slow)))

(defun visioncraft-tests--wait (predicate timeout)
  "Process the daemon's output until PREDICATE holds, at most TIMEOUT s.
Return PREDICATE's last value.  Each round waits for output (an
event), not for a fixed time."
  (let ((deadline (+ (float-time) timeout))
        value)
    (while (and (not (setq value (funcall predicate)))
                (< (float-time) deadline))
      (accept-process-output (visioncraft--connection) 0.5))
    value))

(defun visioncraft-tests--count (regexp)
  "How many times REGEXP matches in the current buffer."
  (save-excursion
    (goto-char (point-min))
    (let ((count 0))
      (while (re-search-forward regexp nil t) (setq count (1+ count)))
      count)))

(defmacro visioncraft-tests--collecting-finished (variable &rest body)
  "Run BODY with the jobs that finish pushed onto VARIABLE."
  (declare (indent 1))
  `(let* ((,variable nil)
          (visioncraft-job-finished-functions
           (list (lambda (job) (push job ,variable)))))
     ,@body))

;;;; Pure tests: framing and configuration

(ert-deftest visioncraft-test-split-lines ()
  "Partial input waits for its newline; one chunk may hold several lines."
  (should (equal (visioncraft--split-lines "" "{\"a\":") '(nil . "{\"a\":")))
  (should (equal (visioncraft--split-lines "{\"a\":" "1}\n") '(("{\"a\":1}") . "")))
  (should (equal (visioncraft--split-lines "" "{}\n{}\r\n\n{\"b\"")
                 '(("{}" "{}\r" "") . "{\"b\"")))
  (should (equal (visioncraft--split-lines "x" "") '(nil . "x")))
  (should (null (visioncraft--parse "  \r")))
  (should (equal (visioncraft--parse "{\"a\":null,\"b\":false,\"c\":[1,true]}\r")
                 '((a) (b . :false) (c . [1 t])))))

(ert-deftest visioncraft-test-filter-routes-replies-and-notifications ()
  "The filter joins chunks, routes replies by id and runs the event hook."
  (let* ((process (make-pipe-process :name "visioncraft-fake" :noquery t))
         (visioncraft--pending (make-hash-table :test #'eql))
         (visioncraft--jobs (make-hash-table :test #'equal))
         (replies nil)
         (events nil)
         (visioncraft-job-updated-functions (list (lambda (params) (push params events)))))
    (unwind-protect
        (progn
          (puthash 1 (lambda (result failure) (push (list 1 result failure) replies)) visioncraft--pending)
          (puthash 2 (lambda (result failure) (push (list 2 result failure) replies)) visioncraft--pending)
          (puthash 3 (lambda (result failure) (push (list 3 result failure) replies)) visioncraft--pending)
          (visioncraft--filter process "{\"jsonrpc\":\"2.0\",\"id\":2,\"res")
          (should (null replies))
          (visioncraft--filter process "ult\":{\"state\":\"queued\"}}\n{\"jsonrpc\":\"2.0\",\"method\":\"job.updated\",")
          (should (equal replies '((2 ((state . "queued")) nil))))
          (visioncraft--filter
           process
           (concat "\"params\":{\"id\":\"J1\",\"state\":\"running\",\"images_done\":1,\"image_count\":2,\"attempts\":0}}\r\n"
                   "\n   \n"
                   "this is not JSON\n"
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32020,\"message\":\"no job \\u00e9\","
                   "\"data\":{\"reason\":\"job_not_found\"}}}\n"
                   "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":null}"))
          (should (equal events '(((id . "J1") (state . "running") (images_done . 1)
                                   (image_count . 2) (attempts . 0)))))
          (should (= (length replies) 2))
          (let ((reply (assq 1 replies)))
            (should (null (nth 1 reply)))
            (should (equal (visioncraft--error-text (nth 2 reply)) "no job é (job_not_found)")))
          (should (gethash 3 visioncraft--pending))
          (visioncraft--filter process "\n")
          (should (equal (car replies) '(3 nil nil)))
          (should (= (hash-table-count visioncraft--pending) 0)))
      (delete-process process))))

(ert-deftest visioncraft-test-socket-path-like-the-daemon ()
  "nil means $VISIONCRAFT_SOCKET, then $XDG_RUNTIME_DIR, then /tmp."
  (let ((process-environment (copy-sequence process-environment)))
    (setenv "VISIONCRAFT_SOCKET" "/a/b.sock")
    (setenv "XDG_RUNTIME_DIR" "/run/user/7")
    (let ((visioncraft-socket nil))
      (should (equal (visioncraft-socket-path) "/a/b.sock"))
      (setenv "VISIONCRAFT_SOCKET" nil)
      (should (equal (visioncraft-socket-path) "/run/user/7/visioncraft/visioncraftd.sock"))
      (setenv "XDG_RUNTIME_DIR" nil)
      (should (equal (visioncraft-socket-path)
                     (format "/tmp/visioncraft-%d/visioncraftd.sock" (user-uid)))))
    (let ((visioncraft-socket "/c/d.sock"))
      (should (equal (visioncraft-socket-path) "/c/d.sock")))))

(ert-deftest visioncraft-test-links ()
  "Org links, Markdown images with escaped alternative text."
  (should (equal (visioncraft--link 'org "/p/a.png" "x") "[[file:/p/a.png]]"))
  (should (equal (visioncraft--link 'markdown "/p/a.png" "a [red]\nfox")
                 "![a \\[red\\] fox](/p/a.png)"))
  (should (equal (visioncraft--link 'markdown "/p q/a.png" "x") "![x](</p q/a.png>)")))

;; The emulator makes jobs fail only after retries with backoff, so
;; the report of a failed job is checked without the daemon.
(ert-deftest visioncraft-test-reports-of-finished-jobs ()
  "Failed jobs are reported with the daemon's error message and kind."
  (should (equal (visioncraft--report "01ABCDEFGHJKMNPQRSTVWXYZ12"
                                      '((state . "failed")
                                        (error (kind . "invalid") (message . "unknown model 'x'")))
                                      0)
                 "visioncraft: job TVWXYZ12 failed: unknown model 'x' (invalid)"))
  (should (equal (visioncraft--report "J" '((state . "cancelled")) 0) "visioncraft: job J was cancelled"))
  (should (equal (visioncraft--report "J" '((state . "succeeded")) 1)
                 "visioncraft: job J succeeded, 1 image inserted")))

(ert-deftest visioncraft-test-unreachable-socket-is-a-user-error ()
  "No daemon: a clean user-error naming the socket, and nothing left behind."
  (let* ((visioncraft--process nil)
         (missing (make-temp-name "/tmp/visioncraft-missing-"))
         (visioncraft-socket (concat missing "/visioncraftd.sock"))
         (failure (should-error (visioncraft-call "daemon.status") :type 'user-error)))
    (should (eq (car failure) 'visioncraft-connection-error))
    (should (string-match-p (regexp-quote visioncraft-socket) (error-message-string failure)))
    (should (null visioncraft--process))
    (should-error (visioncraft-generate "a fox" 1) :type 'user-error)))

;;;; Against the daemon

(ert-deftest visioncraft-test-calls-and-reconnects ()
  "Synchronous calls; errors are user-errors; a dead connection is replaced."
  (skip-unless (visioncraft-tests--live))
  (let ((status (visioncraft-call "daemon.status")))
    (should (equal (alist-get 'socket status) (getenv "VISIONCRAFT_SOCKET")))
    (should (eq (alist-get 'emulator (alist-get 'upstream status)) t)))
  (should (equal (alist-get 'state (visioncraft-call "key.status")) "set"))
  (let ((failure (should-error (visioncraft-call "job.get" '((id . "nope"))) :type 'user-error)))
    (should (eq (car failure) 'visioncraft-rpc-error))
    (should (string-match-p "job_not_found" (error-message-string failure))))
  (let ((old visioncraft--process))
    (delete-process old)
    (should (alist-get 'pid (visioncraft-call "daemon.status")))
    (should (process-live-p visioncraft--process))
    (should-not (eq old visioncraft--process))))

(ert-deftest visioncraft-test-generate-in-org-inserts-file-links ()
  "Three images: three [[file:...]] links where the command was called."
  (skip-unless (visioncraft-tests--live))
  (let* ((file (expand-file-name "generated.org" visioncraft-tests--output))
         (buffer (find-file-noselect file))
         (updates nil)
         (visioncraft-job-updated-functions (list (lambda (params) (push params updates)))))
    (unwind-protect
        (with-current-buffer buffer
          (should (derived-mode-p 'org-mode))
          (insert "* Pictures\n\nThe end.\n")
          (goto-char (point-min))
          (forward-line 1)
          (visioncraft-tests--collecting-finished finished
            (let ((id (visioncraft-generate "a lighthouse at dusk" 3)))
              (should (stringp id))
              (should (equal visioncraft--last-job id))
              ;; Typing elsewhere meanwhile does not move the insertion point.
              (save-excursion (goto-char (point-max)) (insert "Typed meanwhile.\n"))
              (should (visioncraft-tests--wait (lambda () finished) 60))
              (should (equal (alist-get 'id (car finished)) id))
              (should (equal (alist-get 'state (car finished)) "succeeded"))
              (should (seq-some (lambda (update) (equal (alist-get 'id update) id)) updates))))
          (should (= (visioncraft-tests--count "\\[\\[file:") 3))
          (should (string-match-p "\\`\\* Pictures\n\\(\\[\\[file:[^]]+\\.png\\]\\]\n\\)\\{3\\}\nThe end.\nTyped meanwhile.\n\\'"
                                  (buffer-string)))
          (let ((paths (org-element-map (org-element-parse-buffer) 'link
                         (lambda (link)
                           (and (equal (org-element-property :type link) "file")
                                (org-element-property :path link))))))
            (should (= (length paths) 3))
            (dolist (path paths)
              (should (file-name-absolute-p path))
              (should (file-exists-p path))))
          (save-buffer))
      (kill-buffer buffer))))

(ert-deftest visioncraft-test-generate-from-region-in-text-inserts-markdown ()
  "The region is the prompt; Markdown images go after it."
  (skip-unless (visioncraft-tests--live))
  (let* ((file (expand-file-name "generated.md" visioncraft-tests--output))
         (buffer (find-file-noselect file))
         (prompt "a red fox [watercolour]")
         (visioncraft-image-count 2))
    (unwind-protect
        (with-current-buffer buffer
          (text-mode)
          (transient-mark-mode 1)
          (insert "# Foxes\n\n" prompt)
          (set-mark (- (point) (length prompt)))
          (activate-mark)
          (should (use-region-p))
          (visioncraft-tests--collecting-finished finished
            (call-interactively #'visioncraft-generate)
            (should-not (use-region-p))
            (should (visioncraft-tests--wait (lambda () finished) 60))
            (should (equal (alist-get 'state (car finished)) "succeeded"))
            (should (equal (alist-get 'prompt (alist-get 'params (car finished))) prompt)))
          (should (= (visioncraft-tests--count "^!\\[a red fox \\\\\\[watercolour\\\\\\]\\](/[^)]+\\.png)$") 2))
          (should (string-prefix-p (concat "# Foxes\n\n" prompt "\n![") (buffer-string)))
          (goto-char (point-min))
          (while (re-search-forward "](\\([^)]+\\))" nil t)
            (should (file-exists-p (match-string 1))))
          (save-buffer))
      (kill-buffer buffer))))

(ert-deftest visioncraft-test-list-shows-jobs ()
  "The *visioncraft* buffer lists a job: id, state, images, prompt."
  (skip-unless (visioncraft-tests--live))
  (let* ((submitted (visioncraft-call "job.submit" '((prompt . "a listed heron") (image_count . 2))))
         (id (alist-get 'id submitted)))
    (should (visioncraft-call "job.wait" `((id . ,id) (timeout_seconds . 30)) 40))
    (let ((buffer (visioncraft-list)))
      (unwind-protect
          (with-current-buffer buffer
            (should (derived-mode-p 'visioncraft-list-mode))
            (let ((entry (assoc id tabulated-list-entries)))
              (should entry)
              (should (equal (aref (cadr entry) 1) "succeeded"))
              (should (equal (aref (cadr entry) 2) "2/2"))
              (should (equal (aref (cadr entry) 4) "a listed heron")))
            (goto-char (point-min))
            (should (search-forward id nil t))
            (should (equal (tabulated-list-get-id) id))
            (should (string-match-p "a listed heron" (buffer-substring (line-beginning-position) (line-end-position))))
            ;; A finished job cannot be cancelled: a clean user-error.
            (should-error (visioncraft-list-cancel) :type 'user-error))
        (kill-buffer buffer)))))

;;;; Against a daemon with a slow upstream

(ert-deftest visioncraft-test-cancel-a-slow-job ()
  "Cancelling the last job leaves it cancelled and inserts nothing."
  (skip-unless (and visioncraft-tests--output visioncraft-tests--slow))
  (with-temp-buffer
    (org-mode)
    (insert "* Slow\n")
    (visioncraft-tests--collecting-finished finished
      (let ((id (visioncraft-generate "a very slow snail" 2)))
        (should (equal visioncraft--last-job id))
        (let ((job (call-interactively #'visioncraft-cancel)))
          (should (equal (alist-get 'id job) id))
          (should (equal (alist-get 'state job) "cancelled")))
        (should (visioncraft-tests--wait (lambda () finished) 30))
        (should (equal (alist-get 'state (car finished)) "cancelled"))
        (should (equal (alist-get 'state (visioncraft-call "job.get" `((id . ,id)))) "cancelled"))
        (let ((again (should-error (visioncraft-cancel id) :type 'user-error)))
          (should (string-match-p "job_wrong_state" (error-message-string again))))))
    (should (equal (buffer-string) "* Slow\n"))
    (should (= (hash-table-count visioncraft--jobs) 0))))

(ert-deftest visioncraft-test-job-parameters-name-the-backend ()
  "A job names its backend and model when set, else leaves them to the daemon."
  (let ((visioncraft-backend "forge") (visioncraft-model "sdxl") (visioncraft-sampler nil)
        (visioncraft-negative-prompt nil) (visioncraft-labels nil))
    (should (equal (visioncraft--job-parameters "a fox" 2)
                   '((prompt . "a fox") (image_count . 2) (backend . "forge") (model . "sdxl")))))
  (let ((visioncraft-backend nil) (visioncraft-model nil) (visioncraft-sampler nil)
        (visioncraft-negative-prompt nil) (visioncraft-labels nil))
    (should (equal (visioncraft--job-parameters "a fox" 1) '((prompt . "a fox") (image_count . 1))))))

(provide 'visioncraft-tests)

;;; visioncraft-tests.el ends here
