# Reads radiodeep's CSV tables as an R user would; writes what R saw for tests/features/test_r_tables.py.
# Usage: Rscript read_tables.R OUT_DIR NAME=PATH [NAME=PATH ...]
args <- commandArgs(trailingOnly = TRUE)
out <- args[[1]]
collect <- function(expr) {
  msgs <- character(0)
  value <- withCallingHandlers(expr, warning = function(w) {
    msgs <<- c(msgs, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  list(value = value, warnings = msgs)
}
summary <- NULL
for (pair in args[-1]) {
  name <- sub("=.*", "", pair)
  path <- sub("^[^=]*=", "", pair)
  tidy <- collect(readr::read_csv(path, show_col_types = FALSE, progress = FALSE))
  base <- collect(read.csv(path, fileEncoding = "UTF-8"))
  df <- tidy$value
  readr::write_csv(df, file.path(out, paste0(name, ".readr.csv")), na = "")
  write.csv(base$value, file.path(out, paste0(name, ".base.csv")), row.names = FALSE, na = "")
  types <- data.frame(column = names(df), readr_class = vapply(df, function(x) class(x)[1], ""),
                      base_name = names(base$value), base_class = vapply(base$value, function(x) class(x)[1], ""))
  write.csv(types, file.path(out, paste0(name, ".types.csv")), row.names = FALSE)
  summary <- rbind(summary, data.frame(
    table = name, nrow = nrow(df), ncol = ncol(df), readr_warnings = length(tidy$warnings),
    readr_problems = nrow(readr::problems(df)), base_nrow = nrow(base$value), base_ncol = ncol(base$value),
    base_warnings = length(base$warnings),
    messages = paste(c(tidy$warnings, base$warnings), collapse = " | ")))
  cat(sprintf("R view of %s: %d x %d; first values: %s\n", name, nrow(df), ncol(df),
              paste(trimws(format(unlist(df[1, seq_len(min(4, ncol(df)))]), digits = 15)), collapse = ", ")))
}
write.csv(summary, file.path(out, "summary.csv"), row.names = FALSE)
