package dev.rullama.cli.serve;

import dev.rullama.gemma.tokenizer.PromptSegment;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A request's {@code template} override, for the Go-template subset that prompt templates of the
 * {@code /api/generate} kind use: {@code {{ .System }}}, {@code {{ .Prompt }}}, {@code {{ .Response }}} (output
 * stops there: it is where the model's answer goes) and {@code {{ if .System }}…{{ else }}…{{ end }}} on those, with
 * {@code {{-}}} / {@code -}}} whitespace trimming. Anything else (ranges over {@code .Messages}, functions) is a 400
 * naming the action, rather than a wrong prompt. Template text may hold special tokens; the substituted values never do.
 */
final class SimpleTemplate {
    private static final Pattern ACTION = Pattern.compile("\\{\\{(-?)\\s*(.*?)\\s*(-?)}}", Pattern.DOTALL);

    private SimpleTemplate() {}

    static List<PromptSegment> render(String template, String system, String prompt) {
        List<PromptSegment> out = new ArrayList<>();
        Deque<boolean[]> conditions = new ArrayDeque<>(); // {this branch active, condition value}
        Matcher m = ACTION.matcher(template);
        int at = 0;
        boolean trimNext = false;
        while (m.find()) {
            String text = template.substring(at, m.start());
            if (trimNext) text = text.stripLeading();
            if (!m.group(1).isEmpty()) text = text.stripTrailing();
            if (active(conditions) && !text.isEmpty()) out.add(PromptSegment.template(text));
            trimNext = !m.group(3).isEmpty();
            at = m.end();
            String action = m.group(2).strip();
            if (action.startsWith("/*")) continue; // a comment
            switch (action) {
                case ".System" -> { if (active(conditions) && !system.isEmpty()) out.add(PromptSegment.content(system)); }
                case ".Prompt" -> { if (active(conditions) && !prompt.isEmpty()) out.add(PromptSegment.content(prompt)); }
                case ".Response" -> {
                    if (active(conditions)) return out;
                }
                case "end" -> {
                    if (conditions.isEmpty()) throw unsupported(template, "{{ end }} without {{ if }}");
                    conditions.pop();
                }
                case "else" -> {
                    if (conditions.isEmpty()) throw unsupported(template, "{{ else }} without {{ if }}");
                    boolean[] c = conditions.peek();
                    c[0] = !c[1];
                }
                default -> {
                    if (!action.startsWith("if ")) throw unsupported(template, "{{ " + action + " }}");
                    boolean value = switch (action.substring(3).strip()) {
                        case ".System" -> !system.isEmpty();
                        case ".Prompt" -> !prompt.isEmpty();
                        case ".Response" -> false;
                        default -> throw unsupported(template, "{{ " + action + " }}");
                    };
                    conditions.push(new boolean[]{value, value});
                }
            }
        }
        if (!conditions.isEmpty()) throw unsupported(template, "{{ if }} without {{ end }}");
        String tail = template.substring(at);
        if (trimNext) tail = tail.stripLeading();
        if (!tail.isEmpty()) out.add(PromptSegment.template(tail));
        return out;
    }

    private static boolean active(Deque<boolean[]> conditions) {
        for (boolean[] c : conditions) if (!c[0]) return false;
        return true;
    }

    private static ApiException unsupported(String template, String what) {
        return ApiException.badRequest("template: " + what + " is not supported; rullama renders .System, .Prompt, .Response and "
                + "{{ if }}/{{ else }}/{{ end }} on them (leave template out to use the model's own chat format)");
    }
}
