import type { InputHTMLAttributes, ReactNode, TextareaHTMLAttributes } from 'react';

interface FieldProps {
  /** The control's id; its hint or error is `<id>-hint`. */
  id: string;
  label: ReactNode;
  /** Under the control while there is no error. */
  hint?: ReactNode;
  /** Takes the hint's place and marks the control invalid. */
  error?: string | undefined;
}

interface ControlProps {
  id: string;
  'aria-invalid': true | undefined;
  'aria-describedby': string | undefined;
}

/** A label around one control with its hint or error under it; the control is described by whichever shows. */
function Field({ id, label, hint, error, control }: FieldProps & { control: (props: ControlProps) => ReactNode }) {
  const note = error ?? hint;
  const noteId = `${id}-hint`;
  return (
    <label className="field" htmlFor={id}>
      {label}
      {control({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': note ? noteId : undefined })}
      {note ? <span id={noteId} className={error ? 'field-error' : 'muted small'}>{note}</span> : null}
    </label>
  );
}

/** onChange gets the new text. */
type Controlled<A> = FieldProps & Omit<A, keyof FieldProps | 'onChange'> & { onChange: (value: string) => void };

export function InputField({ id, label, hint, error, onChange, ...input }: Controlled<InputHTMLAttributes<HTMLInputElement>>) {
  return <Field id={id} label={label} hint={hint} error={error} control={(a11y) => <input {...input} {...a11y} onChange={(e) => onChange(e.target.value)} />} />;
}

export function TextAreaField({ id, label, hint, error, onChange, ...textarea }: Controlled<TextareaHTMLAttributes<HTMLTextAreaElement>>) {
  return <Field id={id} label={label} hint={hint} error={error} control={(a11y) => <textarea {...textarea} {...a11y} onChange={(e) => onChange(e.target.value)} />} />;
}
